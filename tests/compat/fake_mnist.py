"""A stand-in for torchvision's MNIST and the transforms the CoNeX examples use (no download here)."""

import torch
from torch.utils.data import Dataset


class Compose:
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, image):
        for transform in self.transforms:
            image = transform(image)
        return image


class ToTensor:
    """A ``(28, 28)`` uint8 image as a ``(1, 28, 28)`` float tensor in [0, 1]."""

    def __call__(self, image):
        return image.to(torch.float32).unsqueeze(0) / 255


class MNIST(Dataset):
    """32 deterministic 28x28 uint8 images with labels, MNIST's interface (root, train, download, transform)."""

    def __init__(self, root, train=True, download=False, transform=None):
        generator = torch.Generator().manual_seed(11 if train else 12)
        self.data = (torch.rand((32, 28, 28), generator=generator) ** 3 * 255).to(torch.uint8)
        self.targets = torch.arange(32) % 10
        self.transform = transform

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        image = self.data[index]
        return (self.transform(image) if self.transform else image), int(self.targets[index])
