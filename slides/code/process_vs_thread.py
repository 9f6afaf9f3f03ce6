"""Processes do not share memory; threads do. Run it: python process_vs_thread.py"""

import multiprocessing
import threading

# region share
counter = {"value": 0}


def bump():
    counter["value"] += 1


def in_a_thread():
    t = threading.Thread(target=bump)
    t.start(); t.join()
    return counter["value"]        # 1: the thread changed *our* memory


def in_a_process():
    p = multiprocessing.get_context("fork").Process(target=bump)
    p.start(); p.join()
    return counter["value"]        # unchanged: the child bumped its own copy
# endregion


if __name__ == "__main__":
    print("after a thread:", in_a_thread())
    print("after a process:", in_a_process())
