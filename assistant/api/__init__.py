"""FastAPI app: thin routers over AssistantService."""
