"""The ceiling: a bare Flask app answering "hello", served by gunicorn with the portal's settings."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"
