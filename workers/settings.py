class WorkerSettings:
    functions: list = []
