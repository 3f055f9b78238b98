"""Network-level behaviors: time resolution, neuromodulators, reward."""
