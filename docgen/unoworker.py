"""The worker that drives a warm LibreOffice through UNO (run by docgen.office, never imported).

It runs under the Python LibreOffice's UNO bridge is built for (Debian's python3-uno: the
system python3), not the project's, and speaks JSON lines on stdin/stdout:

    start:    python3 unoworker.py PIPE [SOFFICE PROFILE_URL]
    ready:    {"ready": true, "started": true}           (or {"error": "..."} and exit)
    request:  {"src": "/abs/in.docx", "dst": "/abs/out.pdf"}
    reply:    {"ok": true} | {"error": "..."}

With SOFFICE it starts LibreOffice listening on the named pipe PIPE, in its own process
group, and ends it as soon as stdin closes, even mid-start or mid-conversion: when docgen
exits, is killed (its end of the pipe closes with it) or says nothing more. Without SOFFICE it connects to a LibreOffice another
docgen process started and leaves it running.
"""

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

import uno
from com.sun.star.beans import PropertyValue

START_TIMEOUT = 60


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def say(message):
    sys.stdout.write(json.dumps(message, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def connect(pipe, office, deadline):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    while True:
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        except Exception:  # NoConnectException until LibreOffice listens
            if time.monotonic() > deadline or (office is not None and office.poll() is not None):
                raise
            time.sleep(0.1)


def convert(desktop, src, dst):
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0,
                                       (prop("Hidden", True), prop("ReadOnly", True)))
    if doc is None:
        raise RuntimeError("LibreOffice could not load the file")
    try:
        # SelectPdfVersion 2: PDF/A-2b, every font embedded
        data = uno.Any("[]com.sun.star.beans.PropertyValue", (prop("SelectPdfVersion", 2),))
        doc.storeToURL(uno.systemPathToFileUrl(dst), (prop("FilterName", "writer_pdf_Export"),
                                                      prop("FilterData", data)))
    finally:
        try:
            doc.close(True)
        except Exception:
            doc.dispose()


def stop(desktop, office):
    if office is None:
        return
    try:
        desktop.terminate()
        office.wait(10)
    except Exception:
        pass
    try:
        os.killpg(os.getpgid(0), signal.SIGKILL)  # what is left of LibreOffice, and this worker
    except ProcessLookupError:
        pass


def requests(office):
    """Lines from stdin, read on a thread of their own: when stdin closes while LibreOffice
    starts or converts, the group it started ends at once instead of after that work."""
    lines = queue.Queue()

    def read():
        for line in sys.stdin:
            lines.put(line)
        if office is not None:
            os.killpg(os.getpgid(0), signal.SIGKILL)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return iter(lines.get, None)


def main():
    pipe = sys.argv[1]
    office = None
    if len(sys.argv) > 2:
        soffice, profile = sys.argv[2], sys.argv[3]
        office = subprocess.Popen(
            [soffice, f"-env:UserInstallation={profile}", "--headless", "--invisible", "--norestore",
             "--nologo", "--nodefault", "--nolockcheck", f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    incoming = requests(office)
    desktop = None
    try:
        try:
            desktop = connect(pipe, office, time.monotonic() + START_TIMEOUT)
        except Exception as exc:
            say({"error": f"{type(exc).__name__}: {exc}"})
            return
        say({"ready": True, "started": office is not None})
        for line in incoming:
            request = json.loads(line)
            try:
                convert(desktop, request["src"], request["dst"])
                say({"ok": True})
            except Exception as exc:
                try:
                    desktop.getCurrentComponent()
                except Exception:  # LibreOffice itself is gone: end, so docgen converts another way
                    return
                say({"error": f"{type(exc).__name__}: {getattr(exc, 'Message', '') or exc}"})
    finally:
        stop(desktop, office)


if __name__ == "__main__":
    main()
