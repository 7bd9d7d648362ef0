"""Answer-quality evaluation of the root-cause ranking (``python bench/eval.py``).

``scoring`` turns ranked answers into AC@k figures; ``petshop`` converts the PetShop RCA
dataset into the import format; ``synthetic`` seeds evaluation tenants from the seed
generator; ``asking`` sends the questions through the real workflow and worker.
"""
