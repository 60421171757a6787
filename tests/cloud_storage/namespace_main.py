"""Inside the namespace ``tensorflow_gcs.run_with_tensorflow_gcs`` makes: bring the
loopback interface up, send the Google storage host names to it, serve the emulator
over HTTPS on port 443, run the script, stop the emulator; exit with the script's code.

Usage: python -m tests.cloud_storage.namespace_main SERVER CERT KEY HOSTS LOG SCRIPT
"""
import fcntl
import socket
import ssl
import struct
import subprocess
import sys
import time
import urllib.request

_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        flags = struct.unpack("16sH", fcntl.ioctl(sock, _SIOCGIFFLAGS, struct.pack("16sH", b"lo", 0))[:18])[1]
        fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | _IFF_UP))


def main(server: str, cert: str, key: str, hosts: str, log_path: str, script: str) -> int:
    _loopback_up()
    subprocess.run(["mount", "--bind", hosts, "/etc/hosts"], check=True)
    with open(log_path, "w") as log:
        emulator = subprocess.Popen(
            [server, "-scheme", "https", "-host", "127.0.0.1", "-port", "443", "-backend", "memory",
             "-cert-location", cert, "-private-key-location", key, "-public-host", "storage.googleapis.com",
             "-external-url", "https://www.googleapis.com", "-log-level", "warn"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    try:
        context = ssl.create_default_context(cafile=cert.replace("server.pem", "ca.pem"))
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen("https://www.googleapis.com/storage/v1/b", timeout=1, context=context).close()
                break
            except OSError:
                if time.time() > deadline or emulator.poll() is not None:
                    raise
                time.sleep(0.1)
        return subprocess.run([sys.executable, script]).returncode
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
