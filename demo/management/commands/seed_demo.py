"""Demo data for `make run` and manual testing: the demo users (printed with their
password) and, through each domain's own services, their content.

Idempotent: run it any number of times; what is missing is created, the demo
users get their password, flags and group back, nothing is made twice.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from chat.demo import seed_chat
from commerce.demo import seed_shop
from forum.demo import seed_forum
from users.demo import DEMO_PASSWORD, DEMO_USERS, seed_users


class Command(BaseCommand):
    help = (
        "Create the demo users, their posts, comments, likes and chats, and the shop (idempotent)."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            users = seed_users()
            posts = seed_forum(users=users)
            conversations = seed_chat(users=users)
            products = seed_shop()

        self.stdout.write(self.style.SUCCESS(f"Demo users (password for all: {DEMO_PASSWORD}):"))
        for demo in DEMO_USERS:
            self.stdout.write(f"  {demo.email:<20} {demo.role}")
        self.stdout.write(f"Demo forum: {len(posts)} posts, with images, comments and likes.")
        self.stdout.write(f"Demo chat: {len(conversations)} conversations, with messages.")
        self.stdout.write(f"Demo shop: {len(products)} products, with pictures and stock.")
