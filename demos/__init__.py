"""Demos that write a TensorBoard logdir by really training small models: `python -m demos --logdir DIR`."""
