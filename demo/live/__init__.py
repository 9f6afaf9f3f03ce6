"""The live pipeline: lifecycle events, the worker class and enqueue path that
write them, the watcher that fans them out, queue state, the /live namespace,
presenter actions and the JSON API. ``wiring.init_app`` binds it to the app.
"""
