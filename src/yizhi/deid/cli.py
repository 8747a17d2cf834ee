"""`yizhi deid ...` commands. Each kind of data registers its own command here."""

import typer

app = typer.Typer(help="De-identify clinical text and DICOM files.", no_args_is_help=True)

# Registered by the text de-identifier (issue 3):   app.command("text")(...)
# Registered by the DICOM de-identifier (issue 4):  app.command("dicom")(...)
from yizhi.deid.dicom.cli import dicom_command  # noqa: E402
from yizhi.deid.text.cli import app as text_app  # noqa: E402

app.add_typer(text_app, name="text")  # `text INPUT OUTPUT` de-identifies; `text evaluate GOLD` scores

app.command("dicom")(dicom_command)
