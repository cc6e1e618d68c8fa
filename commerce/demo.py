"""The shop's demo data, through its services: a few categories and products
with stock and a picture each (drawn with Pillow, stored like any upload), so
`make run` shows a shop. Idempotent: a product is known by its slug."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from .models import Category, Product
from .services.catalogue import add_product_image, create_product


@dataclass(frozen=True)
class DemoProduct:
    slug: str
    name: str
    price: str
    category: str
    stock: int
    description: str
    colour: tuple[int, int, int]


DEMO_CATEGORIES = {"kitchen": "Kitchen", "outdoors": "Outdoors", "prints": "Prints"}

DEMO_PRODUCTS = (
    DemoProduct(
        "enamel-camp-mug",
        "Enamel camp mug",
        "14.50",
        "kitchen",
        40,
        "350 ml, enamelled steel, survives the campfire.",
        (200, 60, 40),
    ),
    DemoProduct(
        "pour-over-kettle",
        "Pour-over kettle",
        "39.00",
        "kitchen",
        12,
        "A gooseneck kettle for a slow, even pour.",
        (60, 60, 70),
    ),
    DemoProduct(
        "trail-headlamp",
        "Trail headlamp",
        "29.90",
        "outdoors",
        25,
        "300 lumens, USB-C, red night mode.",
        (230, 180, 30),
    ),
    DemoProduct(
        "ultralight-tarp",
        "Ultralight tarp",
        "89.00",
        "outdoors",
        3,
        "3 x 3 m silnylon, 420 g. Only a few left.",
        (40, 120, 80),
    ),
    DemoProduct(
        "alpine-dawn-print",
        "Alpine dawn print",
        "24.00",
        "prints",
        0,
        "A2 giclée print. Sold out: back soon.",
        (120, 90, 160),
    ),
)


def _picture(colour: tuple[int, int, int], name: str) -> SimpleUploadedFile:
    image = Image.new("RGB", (800, 600), (245, 242, 236))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((220, 140, 580, 460), radius=40, fill=colour)
    draw.ellipse((340, 60, 460, 180), fill=tuple(max(c - 40, 0) for c in colour))
    data = io.BytesIO()
    image.save(data, "JPEG", quality=85)
    return SimpleUploadedFile(name, data.getvalue(), content_type="image/jpeg")


def seed_shop() -> list[Product]:
    for slug, name in DEMO_CATEGORIES.items():
        Category.objects.get_or_create(slug=slug, defaults={"name": name})
    products = []
    for demo in DEMO_PRODUCTS:
        product = Product.objects.filter(slug=demo.slug).first()
        if product is None:
            product = create_product(
                name=demo.name,
                slug=demo.slug,
                price=Decimal(demo.price),
                description=demo.description,
                category=demo.category,
                stock_on_hand=demo.stock,
            )
        if not product.images.exists():
            add_product_image(product=product, upload=_picture(demo.colour, f"{demo.slug}.jpg"))
        products.append(product)
    return products
