"""Processes do not share memory; threads do. Run it: python process_vs_thread.py"""

import multiprocessing
import threading

# region share
counter = {"value": 0}


def bump(report=None):
    counter["value"] += 1
    if report is not None:
        report.send(counter["value"])           # tell the parent what the child saw


def in_a_thread():
    t = threading.Thread(target=bump)
    t.start(); t.join()
    return counter["value"]                     # the thread changed *our* memory


def in_a_process():
    ours, theirs = multiprocessing.Pipe()
    p = multiprocessing.get_context("fork").Process(target=bump, args=(theirs,))
    p.start(); p.join()
    return ours.recv(), counter["value"]        # the child bumped its own copy
# endregion


if __name__ == "__main__":
    print("after a thread, we read", in_a_thread())
    child, parent = in_a_process()
    print("after a process, the child read", child, "and we still read", parent)
