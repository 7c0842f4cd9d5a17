#!/usr/bin/python3
"""An RTSP camera for tests and demos: gst-rtsp-server (Debian's gir1.2-gst-rtsp-server-1.0) serving
JPEG files from a folder as an MJPEG/RTP stream at a set frame rate, optionally behind Basic auth,
or encoded as H.264 (x264enc, gstreamer1.0-plugins-ugly) or H.265 (x265enc, gstreamer1.0-plugins-bad)
with a keyframe every GOP frames, as real cameras send.
Usage: serve.py [--codec mjpeg|h264|h265] [--gop N] PORT PATH FRAMES_GLOB_DIR FPS [USER PASSWORD].
Prints "ready" when it listens."""
import sys
import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

args = sys.argv[1:]
codec, gop = "mjpeg", 10
while args and args[0].startswith("--"):
    flag, value, args = args[0], args[1], args[2:]
    if flag == "--codec":
        codec = value
    elif flag == "--gop":
        gop = int(value)
    else:
        sys.exit(f"unknown option {flag}")
port, path, frames, fps = args[0], args[1], args[2], int(args[3])
user, password = (args[4], args[5]) if len(args) > 5 else (None, None)
ENCODE = {
    "mjpeg": "jpegenc quality=85 ! rtpjpegpay name=pay0 pt=26",
    "h264": f"x264enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} ! rtph264pay name=pay0 pt=96 config-interval=1",
    "h265": f"x265enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} ! rtph265pay name=pay0 pt=96 config-interval=1",
}
Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    # decoded and re-timed, so every RTP packet carries a real timestamp (multifilesrc sets none)
    f'( multifilesrc location="{frames}/%d.jpg" loop=true caps="image/jpeg,framerate={fps}/1" '
    f"! jpegdec ! videoconvert ! videorate ! video/x-raw,framerate={fps}/1 ! {ENCODE[codec]} )"
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
