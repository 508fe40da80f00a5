//! `FrameCodec` and `Frame`: whole-frame decoding for proxies.

use bytes::BytesMut;
use sockeye_codec::{CloseCode, DecodeConfig, Error, Frame, FrameCodec, Header, Mode, OpCode};

#[test]
fn decodes_frames_fed_one_byte_at_a_time() {
    // Two frames back to back: masked "Hello" and a masked empty ping.
    let wire = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58, 0x89, 0x80, 1, 2, 3, 4,
    ];
    let mut codec = FrameCodec::new(DecodeConfig::new(Mode::Server));
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for b in wire {
        buf.extend_from_slice(&[b]);
        while let Some(mut f) = codec.decode(&mut buf).unwrap() {
            f.unmask();
            frames.push(f);
        }
    }
    assert!(buf.is_empty());
    assert_eq!(frames.len(), 2);
    assert_eq!(
        (frames[0].header().opcode(), frames[0].payload()),
        (OpCode::Text, &b"Hello"[..])
    );
    assert_eq!(
        (frames[1].header().opcode(), frames[1].payload()),
        (OpCode::Ping, &b""[..])
    );
}

#[test]
fn masked_frame_is_forwarded_byte_for_byte() {
    let wire = [0x82, 0x83, 0xaa, 0xbb, 0xcc, 0xdd, 0xab, 0xb9, 0xcf];
    let mut codec = FrameCodec::new(DecodeConfig::new(Mode::Server));
    let frame = codec
        .decode(&mut BytesMut::from(&wire[..]))
        .unwrap()
        .unwrap();
    let mut out = BytesMut::new();
    frame.encode(&mut out);
    assert_eq!(&out[..], &wire[..]);
}

#[test]
fn mask_with_then_unmask_round_trips() {
    let mut f = Frame::new(Header::new(OpCode::Binary), &b"payload"[..]);
    f.mask_with([1, 2, 3, 4]);
    assert_ne!(f.payload(), b"payload");
    let mut out = BytesMut::new();
    f.encode(&mut out);
    let mut codec = FrameCodec::new(DecodeConfig::new(Mode::Server));
    let mut back = codec.decode(&mut out).unwrap().unwrap();
    back.unmask();
    assert_eq!(back.payload(), b"payload");
    assert_eq!(back.header().mask(), None);
}

#[test]
fn oversized_frame_fails_before_payload_is_buffered() {
    let mut config = DecodeConfig::new(Mode::Client);
    config.set_max_payload_bytes(16);
    let mut codec = FrameCodec::new(config);
    let mut buf = BytesMut::from(&[0x82, 0x11][..]);
    let err = codec.decode(&mut buf).unwrap_err();
    assert_eq!(err, Error::FrameTooLarge { len: 17, max: 16 });
    assert_eq!(err.close_code(), CloseCode::MESSAGE_TOO_BIG);
}

#[test]
fn waiting_for_a_large_payload_reserves_a_bounded_amount() {
    let mut codec = FrameCodec::new(DecodeConfig::new(Mode::Client));
    // Declares 1 GiB and sends nothing more.
    let mut buf = BytesMut::from(&[0x82, 0x7f, 0, 0, 0, 0, 0x40, 0, 0, 0][..]);
    assert!(codec.decode(&mut buf).unwrap().is_none());
    assert!(buf.capacity() < 256 * 1024, "reserved {}", buf.capacity());
}

#[cfg(feature = "tokio-util")]
#[test]
fn tokio_util_decoder_wraps_protocol_errors() {
    use tokio_util::codec::{Decoder, Encoder};

    let mut codec = FrameCodec::new(DecodeConfig::new(Mode::Server));
    let err = Decoder::decode(&mut codec, &mut BytesMut::from(&[0x81, 0x05][..])).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    let inner = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<Error>())
        .unwrap();
    assert_eq!(inner, &Error::UnmaskedFrame);

    let mut out = BytesMut::new();
    let mut frame = Frame::new(Header::new(OpCode::Text), &b"hi"[..]);
    frame.mask_with([5, 6, 7, 8]);
    Encoder::encode(&mut codec, frame.clone(), &mut out).unwrap();
    assert_eq!(Decoder::decode(&mut codec, &mut out).unwrap(), Some(frame));
}
