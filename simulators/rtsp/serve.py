#!/usr/bin/python3
"""An RTSP camera for tests and demos: gst-rtsp-server (Debian's gir1.2-gst-rtsp-server-1.0) serving
JPEG files from a folder as an MJPEG/RTP stream at a set frame rate, optionally behind Basic auth.
Usage: serve.py PORT PATH FRAMES_GLOB_DIR FPS [USER PASSWORD]. Prints "ready" when it listens."""
import sys
import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

port, path, frames, fps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
user, password = (sys.argv[5], sys.argv[6]) if len(sys.argv) > 6 else (None, None)
Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    # decoded and re-timed, so every RTP packet carries a real timestamp (multifilesrc sets none)
    f'( multifilesrc location="{frames}/%d.jpg" loop=true caps="image/jpeg,framerate={fps}/1" '
    f"! jpegdec ! videoconvert ! videorate ! video/x-raw,framerate={fps}/1 ! jpegenc quality=85 "
    f"! rtpjpegpay name=pay0 pt=26 )"
)
factory.set_shared(True)
if user is not None:
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", "camera-user")
    auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
    server.set_auth(auth)
    factory.add_role_from_structure(
        Gst.Structure.new_from_string("camera-user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true")
    )
server.get_mount_points().add_factory(path, factory)
if server.attach(None) == 0:
    sys.exit(f"cannot listen on 127.0.0.1:{port}")
print("ready", flush=True)
GLib.MainLoop().run()
