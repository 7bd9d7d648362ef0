"""Answer-quality evaluation of the root-cause ranking (``python bench/eval.py``).

``scoring`` turns ranked answers into AC@k figures; ``petshop`` converts the PetShop RCA
dataset into the import format; ``synthetic`` seeds evaluation tenants from the seed
generator; ``nezha`` imports the Train-Ticket days and their faults; ``asking`` sends the
questions through the real workflow and worker; ``observed`` reads back from each
workflow's history what its tools returned; ``baselines`` are the peer rankers run on
it and ``compare`` puts them side by side with OpsFlow.
"""
