from channels.auth import AuthMiddlewareStack as JWTAuthMiddleware  # placeholder
