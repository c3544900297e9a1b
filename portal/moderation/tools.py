"""(Being built.)"""
from flask import Blueprint

bp = Blueprint("moderation_tools", __name__)
