from .models import DEFAULT_TASK_TYPES, ParsedOoo, ParsedReminder, ParsedTask, TaskTypeRule
from .tasks import parse_tasks

__all__ = ["DEFAULT_TASK_TYPES", "ParsedOoo", "ParsedReminder", "ParsedTask", "TaskTypeRule", "parse_tasks"]
