"""(Being built.)"""
from flask import Blueprint

bp = Blueprint("moderation_records", __name__)
