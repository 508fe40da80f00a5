//! RFC 6455 §5.2 (framing), §5.1 (masking rules), §5.5 (control frames), §5.7 (examples).

use sockeye_codec::{
    decode_header, CloseCode, DecodeConfig, Error, Header, Mode, OpCode, RSV1, RSV2, RSV3,
};

fn server() -> DecodeConfig {
    DecodeConfig::new(Mode::Server)
}

fn client() -> DecodeConfig {
    DecodeConfig::new(Mode::Client)
}

/// Decodes `wire` after checking that every strict prefix of it asks for more bytes.
fn decode_all_splits(wire: &[u8], config: &DecodeConfig) -> Result<(Header, usize), Error> {
    for split in 0..wire.len() {
        match decode_header(&wire[..split], config) {
            Ok(None) => {}
            Ok(Some(h)) => panic!("prefix of {split} bytes decoded as {h:?}"),
            // An error from a prefix must be the same error the whole header gives.
            Err(e) => {
                assert_eq!(decode_header(wire, config), Err(e.clone()));
                return Err(e);
            }
        }
    }
    Ok(decode_header(wire, config)?.expect("the whole header decodes"))
}

fn assert_rejected(wire: &[u8], config: &DecodeConfig, err: Error, code: CloseCode) {
    let got = decode_all_splits(wire, config).unwrap_err();
    assert_eq!(got, err, "wire {wire:02x?}");
    assert_eq!(got.close_code(), code, "close code of {got}");
}

#[test]
fn rfc6455_5_7_single_frame_unmasked_text() {
    let (h, n) = decode_all_splits(&[0x81, 0x05], &client()).unwrap();
    assert_eq!(n, 2);
    assert!(h.is_fin());
    assert_eq!(
        (h.opcode(), h.payload_len(), h.mask()),
        (OpCode::Text, 5, None)
    );
}

#[test]
fn rfc6455_5_7_single_frame_masked_text() {
    let wire = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    let (h, n) = decode_all_splits(&wire[..6], &server()).unwrap();
    assert_eq!(n, 6);
    assert_eq!(h.mask(), Some([0x37, 0xfa, 0x21, 0x3d]));
    assert_eq!(h.payload_len(), 5);
}

#[test]
fn rfc6455_5_7_fragmented_unmasked_text() {
    let (first, _) = decode_all_splits(&[0x01, 0x03], &client()).unwrap();
    assert!(!first.is_fin());
    assert_eq!(first.opcode(), OpCode::Text);
    let (second, _) = decode_all_splits(&[0x80, 0x02], &client()).unwrap();
    assert!(second.is_fin());
    assert_eq!(second.opcode(), OpCode::Continuation);
}

#[test]
fn rfc6455_5_7_unmasked_ping_and_masked_pong() {
    let (ping, _) = decode_all_splits(&[0x89, 0x05], &client()).unwrap();
    assert_eq!(ping.opcode(), OpCode::Ping);
    let (pong, n) = decode_all_splits(&[0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d], &server()).unwrap();
    assert_eq!((pong.opcode(), n), (OpCode::Pong, 6));
}

#[test]
fn rfc6455_5_7_binary_256_bytes_and_64_kib() {
    let (h, n) = decode_all_splits(&[0x82, 0x7e, 0x01, 0x00], &client()).unwrap();
    assert_eq!((h.payload_len(), n), (256, 4));
    let wire = [0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00];
    let (h, n) = decode_all_splits(&wire, &client()).unwrap();
    assert_eq!((h.payload_len(), n), (65536, 10));
}

#[test]
fn encode_uses_minimal_length_form() {
    for (len, header_len) in [
        (0u64, 2usize),
        (125, 2),
        (126, 4),
        (0xffff, 4),
        (0x1_0000, 10),
        (u64::MAX >> 1, 10),
    ] {
        for mask in [None, Some([9, 8, 7, 6])] {
            let mut h = Header::new(OpCode::Binary);
            h.set_payload_len(len)
                .set_mask(mask)
                .set_rsv(RSV1)
                .set_fin(false);
            let mut wire = Vec::new();
            h.encode(&mut wire);
            let expect = header_len + if mask.is_some() { 4 } else { 0 };
            assert_eq!(wire.len(), expect, "len {len}");
            assert_eq!(h.encoded_len(), expect);
            let mode = if mask.is_some() {
                Mode::Server
            } else {
                Mode::Client
            };
            let mut config = DecodeConfig::new(mode);
            config.set_allowed_rsv(RSV1);
            assert_eq!(decode_all_splits(&wire, &config).unwrap(), (h, expect));
        }
    }
}

#[test]
fn rfc6455_5_2_top_bit_of_64_bit_length_is_an_error() {
    let wire = [0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1];
    assert_rejected(
        &wire,
        &client(),
        Error::InvalidLength,
        CloseCode::PROTOCOL_ERROR,
    );
}

#[test]
fn rfc6455_5_2_reserved_opcodes_are_rejected() {
    for op in (0x3..=0x7).chain(0xb..=0xf) {
        let wire = [0x80 | op, 0x00];
        let err = Error::ReservedOpcode { opcode: op };
        assert_rejected(&wire, &client(), err, CloseCode::PROTOCOL_ERROR);
    }
}

#[test]
fn rfc6455_5_2_unclaimed_rsv_bits_are_rejected() {
    for rsv in [RSV1, RSV2, RSV3, RSV1 | RSV3] {
        let wire = [0x81 | rsv, 0x00];
        assert_rejected(
            &wire,
            &client(),
            Error::ReservedBits { rsv },
            CloseCode::PROTOCOL_ERROR,
        );
    }
    // An extension that owns RSV1 makes it legal, but not RSV2.
    let mut config = client();
    config.set_allowed_rsv(RSV1);
    assert!(decode_header(&[0x81 | RSV1, 0x00], &config)
        .unwrap()
        .is_some());
    let err = Error::ReservedBits { rsv: RSV2 };
    assert_rejected(
        &[0x81 | RSV1 | RSV2, 0x00],
        &config,
        err,
        CloseCode::PROTOCOL_ERROR,
    );
}

#[test]
fn rfc6455_5_5_control_frames_must_be_final() {
    for (op, opcode) in [
        (0x8, OpCode::Close),
        (0x9, OpCode::Ping),
        (0xa, OpCode::Pong),
    ] {
        let err = Error::FragmentedControl { opcode };
        assert_rejected(&[op, 0x00], &client(), err, CloseCode::PROTOCOL_ERROR);
    }
}

#[test]
fn rfc6455_5_5_control_frames_carry_at_most_125_bytes() {
    let err = Error::ControlTooLong {
        opcode: OpCode::Ping,
    };
    assert_rejected(
        &[0x89, 0x7e, 0x00, 0x7e],
        &client(),
        err,
        CloseCode::PROTOCOL_ERROR,
    );
    let err = Error::ControlTooLong {
        opcode: OpCode::Close,
    };
    let wire = [0x88, 0x7f, 0, 0, 0, 0, 0, 0x10, 0, 0];
    assert_rejected(&wire, &client(), err, CloseCode::PROTOCOL_ERROR);
    // Exactly 125 is fine.
    assert!(decode_header(&[0x8a, 0x7d], &client()).unwrap().is_some());
}

#[test]
fn control_frame_length_error_does_not_wait_for_the_extended_length() {
    // The first two bytes already prove the frame is bad; no need to read on.
    let got = decode_header(&[0x89, 0x7e], &client()).unwrap_err();
    assert_eq!(
        got,
        Error::ControlTooLong {
            opcode: OpCode::Ping
        }
    );
}

#[test]
fn rfc6455_5_1_server_rejects_unmasked_frames() {
    assert_rejected(
        &[0x81, 0x05],
        &server(),
        Error::UnmaskedFrame,
        CloseCode::PROTOCOL_ERROR,
    );
}

#[test]
fn rfc6455_5_1_client_rejects_masked_frames() {
    let wire = [0x81, 0x85, 1, 2, 3, 4];
    assert_rejected(
        &wire,
        &client(),
        Error::MaskedFrame,
        CloseCode::PROTOCOL_ERROR,
    );
}

#[test]
fn length_over_the_limit_is_rejected_from_the_header_alone() {
    let mut config = client();
    config.set_max_payload_bytes(1000);
    let wire = [0x82, 0x7e, 0x03, 0xe9]; // 1001 bytes declared, none sent
    let err = Error::FrameTooLarge {
        len: 1001,
        max: 1000,
    };
    assert_rejected(&wire, &config, err, CloseCode::MESSAGE_TOO_BIG);
    assert!(decode_header(&[0x82, 0x7e, 0x03, 0xe8], &config)
        .unwrap()
        .is_some());
}

#[test]
fn errors_say_who_is_at_fault_and_carry_the_numbers() {
    let msg = Error::FrameTooLarge {
        len: 1001,
        max: 1000,
    }
    .to_string();
    assert!(
        msg.contains("peer") && msg.contains("1001") && msg.contains("1000"),
        "{msg}"
    );
    let msg = Error::ReservedOpcode { opcode: 0xb }.to_string();
    assert!(msg.contains("0xb"), "{msg}");
}
