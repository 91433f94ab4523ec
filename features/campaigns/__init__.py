"""Campaign measurement: the assignment ledger, results against control groups, sample sizes."""
