"""The judges of a run's samples and their readings: the classifier, the
feature autoencoder, the shipped instruments, morphometry, the Fréchet
distances and the label metrics built on them."""
