"""Storefronts and listings: the one declaration of their fields, the producer's editor and dashboard, photos,
revisions, the review by moderators and the publication workflow."""
