from codegen_tasks.cli import run

run()
