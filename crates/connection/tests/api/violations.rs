//! Each peer violation produces the right close frame on the wire before the error returns.

use sockeye_connection::{CloseCode, Error, Mode};

use super::util::*;

/// Sends `wire` to a sockeye server and returns its error and every byte it wrote back.
async fn provoke(
    wire: &[u8],
    configure: impl FnOnce(&mut sockeye_connection::Builder<Io>),
) -> (Error, Vec<u8>) {
    let (_tx, mut rx, mut peer) = raw_peer(Mode::Server, configure);
    write(&mut peer, wire).await;
    let err = rx.receive(&mut Vec::new()).await.unwrap_err();
    (err, read_to_end(&mut peer).await)
}

fn close_frame(code: CloseCode) -> Vec<u8> {
    let mut v = vec![0x88, 0x02];
    v.extend_from_slice(&code.0.to_be_bytes());
    v
}

#[tokio::test]
async fn unmasked_frame_gets_1002() {
    let (err, out) = provoke(&[0x81, 0x01, b'a'], |_| {}).await;
    assert_eq!(err.close_code(), Some(CloseCode::PROTOCOL_ERROR));
    assert_eq!(out, close_frame(CloseCode::PROTOCOL_ERROR));
}

#[tokio::test]
async fn reserved_opcode_gets_1002() {
    let (err, out) = provoke(&masked(0x83, b""), |_| {}).await;
    assert!(matches!(
        err,
        Error::Codec(sockeye_connection::CodecError::ReservedOpcode { opcode: 3 })
    ));
    assert_eq!(out, close_frame(CloseCode::PROTOCOL_ERROR));
}

#[tokio::test]
async fn orphan_continuation_gets_1002() {
    let (err, out) = provoke(&masked(0x80, b"x"), |_| {}).await;
    assert!(matches!(err, Error::UnexpectedContinuation));
    assert_eq!(out, close_frame(CloseCode::PROTOCOL_ERROR));
}

#[tokio::test]
async fn invalid_utf8_gets_1007() {
    let (err, out) = provoke(&masked(0x81, &[0xff]), |_| {}).await;
    assert_eq!(err.close_code(), Some(CloseCode::INVALID_PAYLOAD));
    assert_eq!(out, close_frame(CloseCode::INVALID_PAYLOAD));
}

#[tokio::test]
async fn too_big_gets_1009_before_the_payload_arrives() {
    // Only the header of a 1 MiB frame is sent.
    let header = [0x82, 0xff, 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4];
    let (err, out) = provoke(&header, |b| {
        b.set_max_message_size(1000);
    })
    .await;
    assert!(
        matches!(err, Error::MessageTooLarge { max: 1000, .. }),
        "{err}"
    );
    assert_eq!(out, close_frame(CloseCode::MESSAGE_TOO_BIG));
}

#[tokio::test]
async fn client_receiving_a_masked_frame_sends_a_masked_1002() {
    let (_tx, mut rx, mut peer) = raw_peer(Mode::Client, |b| {
        b.set_mask_seed(9);
    });
    write(&mut peer, &masked(0x81, b"masked")).await;
    let err = rx.receive(&mut Vec::new()).await.unwrap_err();
    assert!(matches!(
        err,
        Error::Codec(sockeye_connection::CodecError::MaskedFrame)
    ));
    let out = read_to_end(&mut peer).await;
    // A client's close frame is masked: 0x88, 0x82, key, masked code.
    assert_eq!((out[0], out[1], out.len()), (0x88, 0x82, 8));
    let code = [out[6] ^ out[2], out[7] ^ out[3]];
    assert_eq!(u16::from_be_bytes(code), 1002);
}

#[tokio::test]
async fn after_a_violation_the_sender_refuses_to_send() {
    let (mut tx, mut rx, mut peer) = raw_peer(Mode::Server, |_| {});
    write(&mut peer, &[0x81, 0x00]).await;
    assert!(rx.receive(&mut Vec::new()).await.is_err());
    assert!(matches!(tx.send_text("x").await, Err(Error::Closed)));
    assert!(matches!(
        rx.receive(&mut Vec::new()).await,
        Err(Error::Closed)
    ));
}
