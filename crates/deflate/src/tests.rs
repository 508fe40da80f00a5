//! Unit tests of the payload transformation, grouped by RFC 7692 section, with the RFC's own
//! bytes. Negotiation and connection-level behaviour are tested in `tests/api`.

use codec::{CloseCode, Error as CodecError, Extension, Mode, OpCode, Param, RSV1};
use flate2::{Compress, Compression, FlushCompress};

use crate::Deflate;

const HELLO: [u8; 7] = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];

/// A client and a server that negotiated `offer`, returned as (client, server).
fn pair_with(offer: &[Param]) -> (Deflate, Deflate) {
    let mut server = Deflate::new(Mode::Server);
    server.configure(offer).expect("server accepts the offer");
    let mut client = Deflate::new(Mode::Client);
    client
        .configure(server.params())
        .expect("client accepts the response");
    (client, server)
}

fn pair() -> (Deflate, Deflate) {
    pair_with(&[Param::new("client_max_window_bits")])
}

fn encode(ext: &mut Deflate, payload: &[u8]) -> (Option<u8>, Vec<u8>) {
    let mut out = Vec::new();
    let rsv = ext
        .encode(OpCode::Binary, payload, &mut out)
        .expect("encode");
    (rsv, out)
}

fn decode(ext: &mut Deflate, wire: &[u8]) -> Result<Vec<u8>, CodecError> {
    let mut data = wire.to_vec();
    ext.decode(RSV1, OpCode::Binary, &mut data, 0, 1 << 20)?;
    Ok(data)
}

fn code(err: &CodecError) -> CloseCode {
    err.close_code()
}

/// Raw DEFLATE of `parts`, each ended with a sync flush, the last one's trailer removed.
fn deflate_parts(parts: &[&[u8]], window_bits: u8) -> Vec<u8> {
    let mut c = Compress::new_with_window_bits(Compression::default(), false, window_bits);
    let mut out = Vec::with_capacity(1 << 20);
    for part in parts {
        c.compress_vec(part, &mut out, FlushCompress::Sync).unwrap();
    }
    assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
    out.truncate(out.len() - 4);
    out
}

mod rfc7692_7_2_3 {
    use super::*;

    #[test]
    fn s7_2_3_1_hello_in_one_compressed_block() {
        let (mut client, mut server) = pair();
        assert_eq!(encode(&mut client, b"Hello"), (Some(RSV1), HELLO.to_vec()));
        assert_eq!(decode(&mut server, &HELLO).unwrap(), b"Hello");
    }

    #[test]
    fn s7_2_3_2_second_hello_uses_the_shared_window() {
        let (mut client, mut server) = pair();
        assert_eq!(encode(&mut client, b"Hello").1, HELLO);
        let second = encode(&mut client, b"Hello").1;
        assert_eq!(second, [0xf2, 0x00, 0x11, 0x00, 0x00]);
        assert_eq!(decode(&mut server, &HELLO).unwrap(), b"Hello");
        assert_eq!(decode(&mut server, &second).unwrap(), b"Hello");
    }

    #[test]
    fn s7_2_3_2_without_context_takeover_each_message_stands_alone() {
        let offer = [
            Param::new("client_no_context_takeover"),
            Param::new("server_no_context_takeover"),
        ];
        let (mut client, mut server) = pair_with(&offer);
        // Each "Hello" decodes as a first one; the shared-window form no longer can.
        for _ in 0..3 {
            assert_eq!(decode(&mut server, &HELLO).unwrap(), b"Hello");
            assert_eq!(decode(&mut client, &HELLO).unwrap(), b"Hello");
        }
        let err = decode(&mut server, &[0xf2, 0x00, 0x11, 0x00, 0x00]).unwrap_err();
        assert_eq!(code(&err), CloseCode::INVALID_PAYLOAD);
        // And the same message compresses to the same bytes every time.
        let message = b"Hello, Hello, Hello, Hello, Hello, Hello!";
        let first = encode(&mut client, message);
        assert_eq!(first.0, Some(RSV1));
        assert!(first.1.len() < message.len());
        for _ in 0..3 {
            assert_eq!(encode(&mut client, message), first);
            assert_eq!(encode(&mut server, message), first);
        }
    }

    #[test]
    fn s7_2_3_3_stored_block() {
        let stored = [
            0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
        ];
        let (mut client, mut server) = pair();
        assert_eq!(decode(&mut server, &stored).unwrap(), b"Hello");
        // Level 0 produces exactly this: a stored block, then the flush's empty one.
        client.set_compression_level(0).unwrap();
        assert_eq!(encode(&mut client, b"Hello"), (Some(RSV1), stored.to_vec()));
    }

    #[test]
    fn s7_2_3_4_final_block_then_more_messages_with_the_window() {
        let (_, mut server) = pair();
        let bfinal = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
        assert_eq!(decode(&mut server, &bfinal).unwrap(), b"Hello");
        // The next message refers back into "Hello" (distance 5, length 5).
        assert_eq!(
            decode(&mut server, &[0xf2, 0x00, 0x11, 0x00, 0x00]).unwrap(),
            b"Hello"
        );
        assert_eq!(decode(&mut server, &HELLO).unwrap(), b"Hello");
    }

    #[test]
    fn s7_2_3_4_final_block_without_the_extra_octet() {
        let (_, mut server) = pair();
        let bfinal = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
        assert_eq!(decode(&mut server, &bfinal).unwrap(), b"Hello");
        assert_eq!(decode(&mut server, &HELLO).unwrap(), b"Hello");
    }

    #[test]
    fn s7_2_3_5_two_blocks_in_one_message() {
        let two = [
            0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
        ];
        assert_eq!(deflate_parts(&[b"He", b"llo"], 15), two);
        let (_, mut server) = pair();
        assert_eq!(decode(&mut server, &two).unwrap(), b"Hello");
    }

    #[test]
    fn s7_2_3_6_empty_fragment_after_a_flushed_one() {
        // A first fragment that ends in a sync flush (trailer kept, since only the message's
        // end is trimmed) and a final fragment holding the single octet 0x00.
        let message = [HELLO.as_slice(), &[0x00, 0x00, 0xff, 0xff], &[0x00]].concat();
        let (_, mut server) = pair();
        assert_eq!(decode(&mut server, &message).unwrap(), b"Hello");
        assert_eq!(
            decode(&mut server, &[0xf2, 0x00, 0x11, 0x00, 0x00]).unwrap(),
            b"Hello"
        );
    }

    #[test]
    fn s7_2_3_6_an_empty_message_as_one_zero_octet() {
        let (mut client, mut server) = pair();
        // We send an empty message plain, the shortest form...
        assert_eq!(encode(&mut client, b""), (None, vec![]));
        // ...and read the 0x00 form (an empty stored block without LEN and NLEN) as empty,
        // with the window unchanged around it.
        assert_eq!(decode(&mut server, &[0x00]).unwrap(), b"");
        assert_eq!(decode(&mut server, &HELLO).unwrap(), b"Hello");
        assert_eq!(decode(&mut server, &[0x00]).unwrap(), b"");
        assert_eq!(
            decode(&mut server, &[0xf2, 0x00, 0x11, 0x00, 0x00]).unwrap(),
            b"Hello"
        );
    }

    #[test]
    fn an_empty_compressed_payload_is_an_empty_message() {
        let (_, mut server) = pair();
        assert_eq!(decode(&mut server, &[]).unwrap(), b"");
        assert_eq!(decode(&mut server, &HELLO).unwrap(), b"Hello");
        assert_eq!(
            decode(&mut server, &[0xf2, 0x00, 0x11, 0x00, 0x00]).unwrap(),
            b"Hello"
        );
    }
}

mod bounded_inflate {
    use super::*;

    /// A DEFLATE stream that inflates to `mib` MiB of zeros: one MiB compressed normally, then
    /// copies of the second MiB's blocks, which only repeat the previous byte.
    fn bomb(mib: usize) -> Vec<u8> {
        let zeros = vec![0; 1 << 20];
        let mut c = Compress::new_with_window_bits(Compression::best(), false, 15);
        let mut first = Vec::with_capacity(1 << 20);
        c.compress_vec(&zeros, &mut first, FlushCompress::Sync)
            .unwrap();
        let mut more = Vec::with_capacity(1 << 20);
        c.compress_vec(&zeros, &mut more, FlushCompress::Sync)
            .unwrap();
        let mut out = first;
        for _ in 1..mib {
            out.extend_from_slice(&more);
        }
        out.truncate(out.len() - 4);
        out
    }

    #[test]
    fn a_gigabyte_bomb_stops_at_the_limit_with_1009() {
        let wire = bomb(1024);
        assert!(wire.len() < 1_100_000, "{} bytes", wire.len());
        let (_, mut server) = pair();
        let limit = 1 << 20;
        let mut data = wire;
        data.shrink_to_fit();
        let capacity = data.capacity();
        let err = server
            .decode(RSV1, OpCode::Binary, &mut data, 0, limit)
            .unwrap_err();
        assert_eq!(code(&err), CloseCode::MESSAGE_TOO_BIG);
        assert!(err.to_string().contains("1048576"), "{err}");
        // The compressed message's own buffer (1 MiB) held the output: nothing was allocated
        // for the gigabyte it would have inflated to.
        assert_eq!(data.capacity(), capacity);
        assert!(data.is_empty());
    }

    #[test]
    fn a_bomb_in_a_small_buffer_grows_it_to_the_limit_at_most() {
        let wire = bomb(64);
        let (_, mut server) = pair();
        let limit = 1 << 20;
        let mut data = wire.clone();
        data.shrink_to_fit();
        assert!(data.capacity() < limit / 8);
        let err = server
            .decode(RSV1, OpCode::Binary, &mut data, 0, limit)
            .unwrap_err();
        assert_eq!(code(&err), CloseCode::MESSAGE_TOO_BIG);
        assert!(data.capacity() <= limit, "capacity {}", data.capacity());
    }

    #[test]
    fn a_reused_buffer_with_room_past_the_limit_is_still_checked_each_step() {
        let (_, mut server) = pair();
        let limit = 100_000;
        let mut data = Vec::with_capacity(64 << 20);
        data.extend_from_slice(&bomb(64));
        let err = server
            .decode(RSV1, OpCode::Binary, &mut data, 0, limit)
            .unwrap_err();
        assert_eq!(code(&err), CloseCode::MESSAGE_TOO_BIG);
        assert_eq!(data.capacity(), 64 << 20);
        assert!(data.is_empty());
        // The inflater stopped early: a good message still decodes after a reset connection.
        let (mut client, mut server) = pair();
        let mut data = Vec::with_capacity(1 << 20);
        data.extend_from_slice(&encode(&mut client, &[5; 50_000]).1);
        server
            .decode(RSV1, OpCode::Binary, &mut data, 0, limit)
            .unwrap();
        assert_eq!(data, vec![5; 50_000]);
    }

    #[test]
    fn exactly_the_limit_passes_and_one_more_byte_fails() {
        let payload = vec![b'a'; 10_000];
        for (limit, ok) in [(10_000, true), (9_999, false)] {
            let (mut client, mut server) = pair();
            let mut data = encode(&mut client, &payload).1;
            let result = server.decode(RSV1, OpCode::Text, &mut data, 0, limit);
            assert_eq!(result.is_ok(), ok, "limit {limit}");
            if ok {
                assert_eq!(data, payload);
            }
        }
    }

    #[test]
    fn the_limit_counts_only_this_message_and_keeps_what_precedes_it() {
        let (mut client, mut server) = pair();
        let mut data = b"earlier".to_vec();
        data.extend_from_slice(&encode(&mut client, &[7; 3000]).1);
        server
            .decode(RSV1, OpCode::Binary, &mut data, 7, 3000)
            .unwrap();
        assert_eq!(&data[..7], b"earlier");
        assert_eq!(&data[7..], &[7; 3000][..]);
    }

    #[test]
    fn no_limit_at_all() {
        let (mut client, mut server) = pair();
        let mut data = encode(&mut client, &[1; 100_000]).1;
        server
            .decode(RSV1, OpCode::Binary, &mut data, 0, usize::MAX)
            .unwrap();
        assert_eq!(data, vec![1; 100_000]);
    }
}

mod corrupt {
    use super::*;

    #[test]
    fn a_reserved_block_type_fails_with_1007() {
        let (_, mut server) = pair();
        // BFINAL 1, BTYPE 11: reserved (RFC 1951 §3.2.3).
        let err = decode(&mut server, &[0xff, 0xff, 0xff]).unwrap_err();
        assert_eq!(code(&err), CloseCode::INVALID_PAYLOAD);
        assert!(
            err.to_string()
                .starts_with("extension permessage-deflate: peer sent"),
            "{err}"
        );
    }

    #[test]
    fn a_distance_before_the_start_of_the_window_fails_with_1007() {
        // The second-"Hello" bytes refer 5 bytes back, into a window that is empty.
        let (_, mut server) = pair();
        let err = decode(&mut server, &[0xf2, 0x00, 0x11, 0x00, 0x00]).unwrap_err();
        assert_eq!(code(&err), CloseCode::INVALID_PAYLOAD);
    }

    #[test]
    fn a_stored_block_with_a_bad_length_check_fails_with_1007() {
        let (_, mut server) = pair();
        let err = decode(&mut server, &[0x00, 0x05, 0x00, 0x00, 0x00, b'H']).unwrap_err();
        assert_eq!(code(&err), CloseCode::INVALID_PAYLOAD);
    }
}

mod encoding {
    use super::*;

    /// Bytes from a xorshift generator: nothing for DEFLATE to find.
    fn noise(len: usize) -> Vec<u8> {
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 32) as u8
            })
            .collect()
    }

    #[test]
    fn messages_under_the_threshold_go_out_uncompressed() {
        let (mut client, mut server) = pair();
        client.set_threshold(6);
        assert_eq!(encode(&mut client, b"Hello"), (None, vec![]));
        assert_eq!(encode(&mut client, b"Hello!").0, Some(RSV1));
        // The skipped message never entered the window: the next "Hello" is a first one.
        client.set_threshold(0);
        let wire = encode(&mut client, b"Hello").1;
        assert_eq!(
            decode(&mut server, &deflate_parts(&[b"Hello!"], 15)).unwrap(),
            b"Hello!"
        );
        assert_eq!(decode(&mut server, &wire).unwrap(), b"Hello");
    }

    #[test]
    fn incompressible_data_goes_out_plain_without_context_takeover() {
        let noise = noise(4096);
        let (mut client, _) = pair_with(&[
            Param::new("client_no_context_takeover"),
            Param::new("client_max_window_bits"),
        ]);
        assert_eq!(encode(&mut client, &noise), (None, vec![]));
        let text = b"Hello, Hello, Hello, Hello, Hello!";
        let (rsv, wire) = encode(&mut client, text);
        assert_eq!(rsv, Some(RSV1));
        let mut fresh = pair().1;
        assert_eq!(decode(&mut fresh, &wire).unwrap(), text);
        // With context takeover it must be compressed anyway, to keep the windows in step.
        let (mut client, mut server) = pair();
        let (rsv, wire) = encode(&mut client, &noise);
        assert_eq!(rsv, Some(RSV1));
        assert_eq!(decode(&mut server, &wire).unwrap(), noise);
    }

    #[test]
    fn large_messages_round_trip_in_both_directions() {
        let text: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("{{\"id\":{i},\"ok\":true}}").into_bytes())
            .take(3 << 20)
            .collect();
        let (mut client, mut server) = pair();
        let up = encode(&mut client, &text).1;
        assert!(up.len() < text.len() / 4, "{} of {}", up.len(), text.len());
        let mut data = up;
        server
            .decode(RSV1, OpCode::Text, &mut data, 0, 8 << 20)
            .unwrap();
        assert_eq!(data, text);
        let down = encode(&mut server, &text).1;
        let mut data = down;
        client
            .decode(RSV1, OpCode::Text, &mut data, 0, 8 << 20)
            .unwrap();
        assert_eq!(data, text);
    }

    #[test]
    fn a_disabled_extension_leaves_messages_alone() {
        let mut ext = Deflate::new(Mode::Server);
        assert!(!ext.is_enabled());
        assert_eq!(encode(&mut ext, b"Hello"), (None, vec![]));
        let mut data = b"Hello".to_vec();
        ext.decode(RSV1, OpCode::Text, &mut data, 0, 10).unwrap();
        assert_eq!(data, b"Hello");
    }

    #[test]
    fn an_uncompressed_message_is_not_inflated() {
        let (_, mut server) = pair();
        let mut data = b"Hello".to_vec();
        server.decode(0, OpCode::Text, &mut data, 0, 10).unwrap();
        assert_eq!(data, b"Hello");
    }
}

mod window_sizes {
    use super::*;

    fn offer(bits: u8) -> Vec<Param> {
        vec![
            Param::with_value("server_max_window_bits", bits.to_string()),
            Param::with_value("client_max_window_bits", bits.to_string()),
        ]
    }

    /// Text whose repeats are up to 3000 bytes apart, so windows of every size matter.
    fn text() -> Vec<u8> {
        (0..2000u32)
            .flat_map(|i| format!("<{} {}>", i % 97, i % 389).into_bytes())
            .collect()
    }

    #[test]
    fn every_window_from_9_to_15_round_trips_both_ways() {
        let text = text();
        for bits in 9..=15 {
            let (mut client, mut server) = pair_with(&offer(bits));
            let negotiated = *client.negotiated().unwrap();
            assert_eq!(negotiated.server_max_window_bits, bits);
            assert_eq!(negotiated.client_max_window_bits, bits);
            for _ in 0..3 {
                let (rsv, wire) = encode(&mut client, &text);
                assert_eq!(rsv, Some(RSV1), "bits {bits}");
                let mut data = wire;
                server
                    .decode(RSV1, OpCode::Text, &mut data, 0, 1 << 20)
                    .unwrap();
                assert_eq!(data, text, "bits {bits}");
                let mut data = encode(&mut server, &text).1;
                client
                    .decode(RSV1, OpCode::Text, &mut data, 0, 1 << 20)
                    .unwrap();
                assert_eq!(data, text, "bits {bits}");
            }
        }
    }

    #[test]
    fn only_a_large_window_sees_repeats_far_apart() {
        // 12 KB of varied words, three times over: the repeats are 12 KB apart.
        let block: Vec<u8> = (0..1500u32)
            .flat_map(|i| format!("{} ", i.wrapping_mul(2_654_435_761) % 100_000).into_bytes())
            .collect();
        let text = block.repeat(3);
        let sizes: Vec<usize> = [9, 12, 15]
            .into_iter()
            .map(|bits| {
                let (mut client, _) = pair_with(&offer(bits));
                encode(&mut client, &text).1.len()
            })
            .collect();
        assert!(
            sizes[2] * 2 < sizes[1] && sizes[2] * 2 < sizes[0],
            "{sizes:?}"
        );
    }

    #[test]
    fn window_8_sends_plain_and_inflates_what_a_256_byte_window_produces() {
        let (mut client, mut server) = pair_with(&offer(8));
        assert_eq!(client.negotiated().unwrap().client_max_window_bits, 8);
        let response: Vec<String> = server.params().iter().map(|p| p.to_string()).collect();
        assert_eq!(
            response,
            ["server_max_window_bits=8", "client_max_window_bits=8"]
        );
        assert_eq!(encode(&mut client, b"Hello"), (None, vec![]));
        assert_eq!(encode(&mut server, b"Hello"), (None, vec![]));
        // Text repeating every 100 bytes: every match is 100 bytes back, well within 256.
        let periodic: Vec<u8> = (0..5000u32).map(|i| b'a' + (i % 100 % 26) as u8).collect();
        let wire = deflate_parts(&[&periodic], 9);
        assert!(wire.len() < 300);
        assert_eq!(decode(&mut server, &wire).unwrap(), periodic);
        assert_eq!(decode(&mut client, &wire).unwrap(), periodic);
    }
}
