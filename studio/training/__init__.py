"""Datasets, augmentation and trainers (generators that yield steps); no Qt."""
