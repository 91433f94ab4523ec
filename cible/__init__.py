"""The ``cible`` command line: wires the layers together and holds no logic of its own."""
