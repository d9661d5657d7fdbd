"""The embedded model `builtin:tiny-prx`: its procedural world, training, evaluation and offline loading."""
