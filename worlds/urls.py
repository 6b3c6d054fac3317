"""World pages (namespace `worlds`)."""

app_name = "worlds"

urlpatterns: list = []
