"""A worker module the slides include."""
import time


# region enqueue
def enqueue(queue, n):
    """Put n jobs on the queue."""
    return [queue.enqueue(time.sleep, 0) for _ in range(n)]
# endregion


def unrelated():
    return None
