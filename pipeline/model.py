"""The W&B tutorial's ConvNet: two conv/ReLU/max-pool blocks, dropout, one linear layer."""

from __future__ import annotations

from math import floor

from torch import nn

# The tutorial's model config; it is the convnet artifact's metadata.
MODEL_CONFIG = {
    "hidden_layer_sizes": [32, 64],
    "kernel_sizes": [3],
    "activation": "ReLU",
    "pool_sizes": [2],
    "dropout": 0.5,
    "num_classes": 10,
}


class ConvNet(nn.Module):
    """A small AlexNet-style CNN for 1x28x28 images (the tutorial's, unchanged)."""

    def __init__(
        self,
        hidden_layer_sizes=(32, 64),
        kernel_sizes=(3,),
        activation="ReLU",
        pool_sizes=(2,),
        dropout=0.5,
        num_classes=10,
        input_shape=(1, 28, 28),
    ):
        super().__init__()
        self.layer1 = nn.Sequential(
            nn.Conv2d(input_shape[0], hidden_layer_sizes[0], kernel_size=kernel_sizes[0]),
            getattr(nn, activation)(),
            nn.MaxPool2d(kernel_size=pool_sizes[0]),
        )
        self.layer2 = nn.Sequential(
            nn.Conv2d(hidden_layer_sizes[0], hidden_layer_sizes[-1], kernel_size=kernel_sizes[-1]),
            getattr(nn, activation)(),
            nn.MaxPool2d(kernel_size=pool_sizes[-1]),
        )
        self.layer3 = nn.Sequential(nn.Flatten(), nn.Dropout(dropout))
        side = floor((input_shape[1] - kernel_sizes[0] + 1) / pool_sizes[0])
        side = floor((side - kernel_sizes[-1] + 1) / pool_sizes[-1])
        self.fc = nn.Linear(side * side * hidden_layer_sizes[-1], num_classes)

    def forward(self, x):
        return self.fc(self.layer3(self.layer2(self.layer1(x))))


def build_model(config: dict) -> ConvNet:
    """A ConvNet from a config or metadata dict (keys it does not know are ignored)."""
    known = ("hidden_layer_sizes", "kernel_sizes", "activation", "pool_sizes", "dropout", "num_classes")
    return ConvNet(**{k: config[k] for k in known if k in config})
