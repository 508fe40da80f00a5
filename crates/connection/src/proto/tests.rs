//! Protocol tests of the sans-I/O core, grouped by RFC 6455 section. They feed exact wire
//! bytes, split at every point, and assert the events, the message bytes and the close code.

use bytes::BytesMut;
use codec::{CloseCode, Header, Mode, OpCode, Param, RSV1};

use super::*;

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
const LIMIT: usize = 1 << 20;

/// A frame as a client sends it (masked with `KEY`).
fn client_frame(opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
    let mut header = Header::new(OpCode::from_u8(opcode).unwrap_or(OpCode::Binary));
    header
        .set_fin(fin)
        .set_mask(Some(KEY))
        .set_payload_len(payload.len() as u64);
    let mut out = Vec::new();
    header.encode(&mut out);
    out[0] = (out[0] & 0xf0) | opcode;
    let from = out.len();
    out.extend_from_slice(payload);
    codec::apply_mask(&mut out[from..], KEY);
    out
}

fn server() -> Receiving {
    Receiving::new(Mode::Server, LIMIT, LIMIT, None)
}

/// What a receiver reports for a whole byte stream: events, with data message contents.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(CloseReason),
    Error(Option<CloseCode>),
}

/// Records the result of one `receive` or `receive_from` call: `None` when more input
/// is needed, `Some(true)` when the stream is over (a close or an error).
fn record(
    seen: &mut Vec<Seen>,
    result: Result<Option<Event>, Error>,
    rx: &mut Receiving,
    inp: &mut BytesMut,
    msg: &mut Vec<u8>,
) -> Option<bool> {
    match result {
        Ok(None) => return None,
        Ok(Some(Event::Data(Data::Text(n)))) => {
            assert_eq!(n, msg.len());
            seen.push(Seen::Text(String::from_utf8(std::mem::take(msg)).unwrap()));
        }
        Ok(Some(Event::Data(Data::Binary(n)))) => {
            assert_eq!(n, msg.len());
            seen.push(Seen::Binary(std::mem::take(msg)));
        }
        Ok(Some(Event::Ping)) => seen.push(Seen::Ping(rx.control_payload().to_vec())),
        Ok(Some(Event::Pong)) => seen.push(Seen::Pong(rx.control_payload().to_vec())),
        Ok(Some(Event::Close(r))) => {
            seen.push(Seen::Close(r));
            return Some(true);
        }
        Err(e) => {
            seen.push(Seen::Error(e.close_code()));
            assert!(matches!(rx.receive(inp, msg), Err(Error::Closed)));
            return Some(true);
        }
    }
    Some(false)
}

/// Feeds `wire` to a fresh receiver in two pieces split at `split` and records what happens.
fn run(mut rx: Receiving, wire: &[u8], split: usize) -> Vec<Seen> {
    let mut seen = Vec::new();
    let mut inp = BytesMut::new();
    let mut msg = Vec::new();
    for piece in [&wire[..split], &wire[split..]] {
        inp.extend_from_slice(piece);
        loop {
            let result = rx.receive(&mut inp, &mut msg);
            match record(&mut seen, result, &mut rx, &mut inp, &mut msg) {
                None => break,
                Some(true) => return seen,
                Some(false) => {}
            }
        }
    }
    seen
}

/// Like [`run`], but as the connection's receiver works: input arrives in reads of at most
/// `max_read` bytes; while nothing is buffered, the protocol runs over each read in place
/// (`receive_from`) and only what it leaves unused is buffered for `receive`.
fn run_in_place(mut rx: Receiving, wire: &[u8], split: usize, max_read: usize) -> Vec<Seen> {
    let mut seen = Vec::new();
    let mut inp = BytesMut::new();
    let mut msg = Vec::new();
    for piece in [&wire[..split], &wire[split..]] {
        for read in piece.chunks(max_read) {
            if !inp.is_empty() {
                inp.extend_from_slice(read);
            } else {
                let mut at = 0;
                loop {
                    let result = rx.receive_from(&read[at..], &mut msg).map(|(used, event)| {
                        at += used;
                        event
                    });
                    match record(&mut seen, result, &mut rx, &mut inp, &mut msg) {
                        None => break,
                        Some(true) => return seen,
                        Some(false) => {}
                    }
                }
                inp.extend_from_slice(&read[at..]);
            }
            loop {
                let result = rx.receive(&mut inp, &mut msg);
                match record(&mut seen, result, &mut rx, &mut inp, &mut msg) {
                    None => break,
                    Some(true) => return seen,
                    Some(false) => {}
                }
            }
        }
    }
    seen
}

/// Like [`run`], but as `Receiver::receive_ref` works: each call first tries to take a whole
/// single-frame message where it lies (`receive_in_place`) and falls back to `receive_from`.
fn run_lent(mut rx: Receiving, wire: &[u8], split: usize) -> Vec<Seen> {
    let mut seen = Vec::new();
    let mut inp = BytesMut::new();
    let mut msg = Vec::new();
    for piece in [&wire[..split], &wire[split..]] {
        inp.extend_from_slice(piece);
        loop {
            let result = match rx.receive_in_place(&mut inp) {
                Ok(InPlace::Message {
                    used,
                    data,
                    payload,
                }) => {
                    let bytes = inp[payload].to_vec();
                    assert_eq!(data.len(), bytes.len());
                    seen.push(match data {
                        Data::Text(_) => Seen::Text(String::from_utf8(bytes).unwrap()),
                        Data::Binary(_) => Seen::Binary(bytes),
                    });
                    bytes::Buf::advance(&mut inp, used);
                    continue;
                }
                Ok(InPlace::Incomplete { frame_len }) => {
                    assert!(frame_len > inp.len());
                    break;
                }
                Ok(InPlace::NotApplicable) => rx.receive(&mut inp, &mut msg),
                Err(e) => Err(e),
            };
            match record(&mut seen, result, &mut rx, &mut inp, &mut msg) {
                None => break,
                Some(true) => return seen,
                Some(false) => {}
            }
        }
    }
    seen
}

/// Asserts that every split of `wire` gives `expected`, through the input buffer alone, run
/// in place over reads of every size, and taking single-frame messages in place.
fn assert_all_splits(make: impl Fn() -> Receiving, wire: &[u8], expected: &[Seen]) {
    for split in 0..=wire.len() {
        assert_eq!(run(make(), wire, split), expected, "split at {split}");
        assert_eq!(
            run_lent(make(), wire, split),
            expected,
            "split at {split}, taken in place"
        );
        for max_read in [1, 3, usize::MAX] {
            assert_eq!(
                run_in_place(make(), wire, split, max_read),
                expected,
                "split at {split}, read in place {max_read} bytes at a time"
            );
        }
    }
}

fn cat(frames: &[Vec<u8>]) -> Vec<u8> {
    frames.concat()
}

// RFC 6455 §5.7: the examples.

#[test]
fn rfc6455_5_7_masked_hello() {
    let wire = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    assert_all_splits(server, &wire, &[Seen::Text("Hello".into())]);
}

#[test]
fn rfc6455_5_7_unmasked_fragments_as_client() {
    let wire = [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f];
    let client = || Receiving::new(Mode::Client, LIMIT, LIMIT, None);
    assert_all_splits(client, &wire, &[Seen::Text("Hello".into())]);
}

#[test]
fn rfc6455_5_7_ping_and_binary_256() {
    let payload: Vec<u8> = (0..=255).collect();
    let wire = cat(&[
        client_frame(0x9, true, b"Hello"),
        client_frame(0x2, true, &payload),
    ]);
    assert_all_splits(
        server,
        &wire,
        &[Seen::Ping(b"Hello".to_vec()), Seen::Binary(payload)],
    );
}

// RFC 6455 §5.4: fragmentation.

#[test]
fn rfc6455_5_4_control_frames_between_fragments() {
    let wire = cat(&[
        client_frame(0x1, false, b"fra"),
        client_frame(0x9, true, b"p"),
        client_frame(0x0, false, b"gme"),
        client_frame(0xa, true, b""),
        client_frame(0x0, true, b"nted"),
    ]);
    let expected = [
        Seen::Ping(b"p".to_vec()),
        Seen::Pong(vec![]),
        Seen::Text("fragmented".into()),
    ];
    assert_all_splits(server, &wire, &expected);
}

#[test]
fn rfc6455_5_4_empty_fragments_make_an_empty_message() {
    let wire = cat(&[client_frame(0x2, false, b""), client_frame(0x0, true, b"")]);
    assert_all_splits(server, &wire, &[Seen::Binary(vec![])]);
}

#[test]
fn rfc6455_5_4_continuation_without_a_message_is_1002() {
    let wire = client_frame(0x0, true, b"orphan");
    assert_all_splits(
        server,
        &wire,
        &[Seen::Error(Some(CloseCode::PROTOCOL_ERROR))],
    );
}

#[test]
fn rfc6455_5_4_new_message_inside_a_fragmented_one_is_1002() {
    let wire = cat(&[
        client_frame(0x1, false, b"a"),
        client_frame(0x1, true, b"b"),
    ]);
    assert_all_splits(
        server,
        &wire,
        &[Seen::Error(Some(CloseCode::PROTOCOL_ERROR))],
    );
}

// RFC 6455 §5.5: control frames.

#[test]
fn rfc6455_5_5_fragmented_ping_is_1002() {
    let wire = client_frame(0x9, false, b"x");
    assert_all_splits(
        server,
        &wire,
        &[Seen::Error(Some(CloseCode::PROTOCOL_ERROR))],
    );
}

#[test]
fn rfc6455_5_5_1_close_with_code_and_reason() {
    let mut payload = 1001u16.to_be_bytes().to_vec();
    payload.extend_from_slice(b"bye");
    let wire = cat(&[
        client_frame(0x8, true, &payload),
        client_frame(0x1, true, b"late"),
    ]);
    let reason = CloseReason {
        code: CloseCode::GOING_AWAY,
        descr: Some("bye".into()),
    };
    // Nothing after the close frame is processed.
    assert_all_splits(server, &wire, &[Seen::Close(reason)]);
}

#[test]
fn rfc6455_5_5_1_empty_close_reports_no_status() {
    let reason = CloseReason {
        code: CloseCode::NO_STATUS,
        descr: None,
    };
    assert_all_splits(
        server,
        &client_frame(0x8, true, b""),
        &[Seen::Close(reason)],
    );
}

#[test]
fn rfc6455_7_4_close_with_forbidden_code_is_1002() {
    for code in [999u16, 1005, 1006, 1016, 5000] {
        let wire = client_frame(0x8, true, &code.to_be_bytes());
        assert_all_splits(
            server,
            &wire,
            &[Seen::Error(Some(CloseCode::PROTOCOL_ERROR))],
        );
    }
    let wire = client_frame(0x8, true, &[0x03]);
    assert_all_splits(
        server,
        &wire,
        &[Seen::Error(Some(CloseCode::PROTOCOL_ERROR))],
    );
}

#[test]
fn rfc6455_5_5_1_close_reason_not_utf8_is_1007() {
    let wire = client_frame(0x8, true, &[0x03, 0xe8, 0xff, 0xfe]);
    assert_all_splits(
        server,
        &wire,
        &[Seen::Error(Some(CloseCode::INVALID_PAYLOAD))],
    );
}

// RFC 6455 §8.1: UTF-8.

#[test]
fn rfc6455_8_1_text_split_inside_a_character_across_frames() {
    let euro = "€".as_bytes();
    let wire = cat(&[
        client_frame(0x1, false, &euro[..1]),
        client_frame(0x0, true, &euro[1..]),
    ]);
    assert_all_splits(server, &wire, &[Seen::Text("€".into())]);
}

#[test]
fn rfc6455_8_1_invalid_utf8_fails_fast_before_the_message_ends() {
    // The first fragment is already impossible UTF-8; the message never finishes.
    let wire = client_frame(0x1, false, &[0xce, 0xba, 0xed, 0xa0, 0x80]);
    assert_all_splits(
        server,
        &wire,
        &[Seen::Error(Some(CloseCode::INVALID_PAYLOAD))],
    );
}

#[test]
fn rfc6455_8_1_text_ending_mid_character_is_1007() {
    let wire = client_frame(0x1, true, &[0x61, 0xe2, 0x82]);
    assert_all_splits(
        server,
        &wire,
        &[Seen::Error(Some(CloseCode::INVALID_PAYLOAD))],
    );
}

#[test]
fn rfc6455_8_1_invalid_utf8_fails_fast_when_taken_in_place_too() {
    let mut payload = vec![b'a'; 300];
    payload[10] = 0xff;
    let wire = client_frame(0x1, true, &payload);
    let mut rx = server();
    let mut inp = wire[..40].to_vec();
    let err = rx.receive_in_place(&mut inp).unwrap_err();
    assert_eq!(err.close_code(), Some(CloseCode::INVALID_PAYLOAD));
}

#[test]
fn an_incomplete_message_taken_in_place_can_be_taken_by_receive_from_instead() {
    let text = "héllo wörld, ".repeat(20);
    let wire = client_frame(0x1, true, text.as_bytes());
    let mut rx = server();
    let mut inp = wire[..100].to_vec();
    assert_eq!(
        rx.receive_in_place(&mut inp).unwrap(),
        InPlace::Incomplete {
            frame_len: wire.len()
        }
    );
    // Unmasked in place so far; abandoning masks it again.
    assert_ne!(inp, wire[..100]);
    rx.abandon_in_place(&mut inp);
    assert_eq!(inp, wire[..100]);
    let mut inp = BytesMut::from(&wire[..]);
    let mut msg = Vec::new();
    let event = rx.receive(&mut inp, &mut msg).unwrap();
    assert_eq!(event, Some(Event::Data(Data::Text(text.len()))));
    assert_eq!(msg, text.as_bytes());
}

#[test]
fn binary_is_not_checked_for_utf8() {
    let wire = client_frame(0x2, true, &[0xff, 0xfe]);
    assert_all_splits(server, &wire, &[Seen::Binary(vec![0xff, 0xfe])]);
}

// RFC 6455 §5.1 and §5.2, as enforced through the codec.

#[test]
fn rfc6455_5_1_unmasked_frame_to_server_is_1002() {
    assert_all_splits(
        server,
        &[0x81, 0x01, b'a'],
        &[Seen::Error(Some(CloseCode::PROTOCOL_ERROR))],
    );
}

#[test]
fn rfc6455_5_2_reserved_opcode_and_rsv_are_1002() {
    for wire in [client_frame(0x3, true, b""), client_frame(0xb, true, b"")] {
        assert_all_splits(
            server,
            &wire,
            &[Seen::Error(Some(CloseCode::PROTOCOL_ERROR))],
        );
    }
    let mut wire = client_frame(0x1, true, b"x");
    wire[0] |= RSV1;
    assert_all_splits(
        server,
        &wire,
        &[Seen::Error(Some(CloseCode::PROTOCOL_ERROR))],
    );
}

// Limits (RFC 6455 §10.4).

#[test]
fn message_over_the_limit_fails_with_1009_from_the_header() {
    let make = || Receiving::new(Mode::Server, 10, 100, None);
    // A single frame declaring 11 bytes fails before its payload.
    let wire = client_frame(0x2, true, &[0; 11]);
    let mut rx = make();
    let mut inp = BytesMut::from(&wire[..6]);
    let err = rx.receive(&mut inp, &mut Vec::new()).unwrap_err();
    assert_eq!(err.close_code(), Some(CloseCode::MESSAGE_TOO_BIG));
    // The same when it would be taken in place.
    let err = make()
        .receive_in_place(&mut wire[..6].to_vec())
        .unwrap_err();
    assert_eq!(err.close_code(), Some(CloseCode::MESSAGE_TOO_BIG));
    // Fragments that add up to more than the limit fail at the frame that crosses it.
    let wire = cat(&[
        client_frame(0x2, false, &[0; 6]),
        client_frame(0x0, true, &[0; 6]),
    ]);
    assert_all_splits(
        make,
        &wire,
        &[Seen::Error(Some(CloseCode::MESSAGE_TOO_BIG))],
    );
}

#[test]
fn frame_over_the_limit_fails_with_1009() {
    let make = || Receiving::new(Mode::Server, 100, 4, None);
    let wire = client_frame(0x2, true, &[0; 5]);
    assert_all_splits(
        make,
        &wire,
        &[Seen::Error(Some(CloseCode::MESSAGE_TOO_BIG))],
    );
}

#[test]
fn a_declared_length_allocates_nothing_until_bytes_arrive() {
    let mut rx = server();
    let mut header = Header::new(OpCode::Binary);
    header.set_mask(Some(KEY)).set_payload_len(1 << 20);
    let mut inp = BytesMut::new();
    header.encode(&mut inp);
    inp.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    let mut msg = Vec::new();
    assert_eq!(rx.receive(&mut inp, &mut msg).unwrap(), None);
    assert_eq!(msg.len(), 10);
    assert!(msg.capacity() < 4096, "capacity {}", msg.capacity());
    assert_eq!(rx.data_frame(), Some((1 << 20, (1 << 20) - 10)));
}

// Sending.

#[test]
fn client_frames_are_masked_with_a_fresh_key_each() {
    let mut tx = Sending::new(Mode::Client, usize::MAX, None, Some(7));
    let mut out = BytesMut::new();
    tx.encode_data(OpCode::Text, b"Hello", &mut out).unwrap();
    tx.encode_data(OpCode::Text, b"Hello", &mut out).unwrap();
    let config = DecodeConfig::new(Mode::Server);
    let (h1, n1) = decode_header(&out, &config).unwrap().unwrap();
    let (h2, _) = decode_header(&out[n1 + 5..], &config).unwrap().unwrap();
    assert!(h1.mask().is_some() && h2.mask().is_some());
    assert_ne!(h1.mask(), h2.mask());
    assert_all_splits(
        server,
        &out,
        &[Seen::Text("Hello".into()), Seen::Text("Hello".into())],
    );
}

#[test]
fn unseeded_clients_never_repeat_a_key_across_frames_or_connections() {
    // Two connections on one thread share its generator: their keys, interleaved, must
    // still all differ (32 random keys repeat one with a probability of about 1e-7).
    let mut a = Sending::new(Mode::Client, usize::MAX, None, None);
    let mut b = Sending::new(Mode::Client, usize::MAX, None, None);
    let config = DecodeConfig::new(Mode::Server);
    let mut keys = Vec::new();
    for _ in 0..16 {
        for tx in [&mut a, &mut b] {
            let mut out = BytesMut::new();
            tx.encode_data(OpCode::Binary, b"x", &mut out).unwrap();
            let (header, _) = decode_header(&out, &config).unwrap().unwrap();
            keys.push(header.mask().expect("a client masks every frame"));
        }
    }
    let mut unique = keys.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), keys.len(), "a key repeated: {keys:?}");
}

#[test]
fn server_frames_are_unmasked_and_exact() {
    let mut tx = Sending::new(Mode::Server, usize::MAX, None, None);
    let mut out = BytesMut::new();
    tx.encode_data(OpCode::Text, b"Hello", &mut out).unwrap();
    tx.encode_control(OpCode::Ping, b"Hello", &mut out);
    assert_eq!(&out[..7], &[0x81, 0x05, b'H', b'e', b'l', b'l', b'o']);
    assert_eq!(&out[7..], &[0x89, 0x05, b'H', b'e', b'l', b'l', b'o']);
}

#[test]
fn outgoing_messages_are_fragmented_at_the_frame_size() {
    let mut tx = Sending::new(Mode::Server, 4, None, None);
    let mut out = BytesMut::new();
    tx.encode_data(OpCode::Binary, b"0123456789", &mut out)
        .unwrap();
    assert_eq!(
        &out[..],
        &[0x02, 4, b'0', b'1', b'2', b'3', 0x00, 4, b'4', b'5', b'6', b'7', 0x80, 2, b'8', b'9']
    );
    let client = || Receiving::new(Mode::Client, LIMIT, LIMIT, None);
    assert_all_splits(client, &out, &[Seen::Binary(b"0123456789".to_vec())]);
}

// Extensions: a toy extension that owns RSV1 and reverses the payload.

#[derive(Debug)]
struct Reverse;

impl Extension for Reverse {
    fn name(&self) -> &str {
        "x-reverse"
    }
    fn is_enabled(&self) -> bool {
        true
    }
    fn params(&self) -> &[Param] {
        &[]
    }
    fn configure(&mut self, _: &[Param]) -> Result<(), codec::Error> {
        Ok(())
    }
    fn reserved_bits(&self) -> u8 {
        RSV1
    }
    fn encode(
        &mut self,
        _: OpCode,
        p: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<u8>, codec::Error> {
        out.extend(p.iter().rev());
        Ok(Some(RSV1))
    }
    fn decode(
        &mut self,
        _: u8,
        _: OpCode,
        data: &mut Vec<u8>,
        start: usize,
        _: usize,
    ) -> Result<(), codec::Error> {
        data[start..].reverse();
        Ok(())
    }
}

fn reversing() -> Option<Extensions> {
    Some(Arc::new(Mutex::new(vec![
        Box::new(Reverse) as Box<dyn Extension + Send>
    ])))
}

#[test]
fn extension_transforms_both_ways_with_rsv1_on_the_first_frame_only() {
    let mut tx = Sending::new(Mode::Client, 3, reversing(), Some(1));
    let mut out = BytesMut::new();
    tx.encode_data(OpCode::Text, "héllo".as_bytes(), &mut out)
        .unwrap();
    let config = {
        let mut c = DecodeConfig::new(Mode::Server);
        c.set_allowed_rsv(RSV1);
        c
    };
    let (first, n) = decode_header(&out, &config).unwrap().unwrap();
    assert_eq!(first.rsv(), RSV1);
    let (second, _) = decode_header(&out[n + 3..], &config).unwrap().unwrap();
    assert_eq!(second.rsv(), 0);
    let make = || Receiving::new(Mode::Server, LIMIT, LIMIT, reversing());
    assert_all_splits(make, &out, &[Seen::Text("héllo".into())]);
}

#[test]
fn rfc7692_6_rsv1_on_a_continuation_or_control_frame_is_1002() {
    let make = || Receiving::new(Mode::Server, LIMIT, LIMIT, reversing());
    let mut cont = client_frame(0x0, true, b"b");
    cont[0] |= RSV1;
    let wire = cat(&[client_frame(0x2, false, b"a"), cont]);
    assert_all_splits(make, &wire, &[Seen::Error(Some(CloseCode::PROTOCOL_ERROR))]);
    let mut ping = client_frame(0x9, true, b"");
    ping[0] |= RSV1;
    assert_all_splits(make, &ping, &[Seen::Error(Some(CloseCode::PROTOCOL_ERROR))]);
}

mod props {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn client_to_server_round_trip(
            messages in proptest::collection::vec((any::<bool>(), proptest::collection::vec(any::<u8>(), 0..200)), 1..6),
            frame_size in 1usize..64,
            split in any::<prop::sample::Index>(),
        ) {
            let mut tx = Sending::new(Mode::Client, frame_size, None, Some(3));
            let mut out = BytesMut::new();
            let mut expected = Vec::new();
            for (text, bytes) in &messages {
                if *text {
                    let s = String::from_utf8_lossy(bytes).into_owned();
                    tx.encode_data(OpCode::Text, s.as_bytes(), &mut out).unwrap();
                    expected.push(Seen::Text(s));
                } else {
                    tx.encode_data(OpCode::Binary, bytes, &mut out).unwrap();
                    expected.push(Seen::Binary(bytes.clone()));
                }
            }
            let at = split.index(out.len() + 1);
            prop_assert_eq!(&run(server(), &out, at), &expected);
            prop_assert_eq!(run_in_place(server(), &out, at, 5), expected);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512), split in any::<prop::sample::Index>(), client in any::<bool>()) {
            let mode = if client { Mode::Client } else { Mode::Server };
            let at = split.index(bytes.len() + 1);
            let _ = run(Receiving::new(mode, 256, 128, None), &bytes, at);
            let _ = run_in_place(Receiving::new(mode, 256, 128, None), &bytes, at, 7);
        }
    }
}
