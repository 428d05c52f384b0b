from codegen_tasks.cli import app

app(prog_name="codegen")
