"""The intent model: visitor rows at weekly cutoffs, labels, time-split evaluation, gate, batch scores."""
