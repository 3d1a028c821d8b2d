"""Storefronts and listings (the domain package the layout moves to; see shared ARCHITECTURE.md).

For now it holds only `fields`, the one declaration of what a storefront and a listing are made of.
"""
