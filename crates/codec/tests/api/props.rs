//! Property tests: encode/decode round trips at every split point, and no panics on any input.

use bytes::BytesMut;
use proptest::prelude::*;
use sockeye_codec::{
    apply_mask_at, decode_header, validate_utf8, DecodeConfig, Frame, FrameCodec, Header, Mode,
    OpCode, Utf8Validator, RSV1, RSV2, RSV3,
};

/// Feeds `bytes` to a fresh `Utf8Validator` in pieces cut at `cuts`, then finishes it.
/// Returns where the pieces end (sorted, the last at `bytes.len()`) and when it failed: the
/// end of the piece it rejected, `bytes.len() + 1` if only `finish` did, `None` if it
/// accepted the text.
fn feed_in_pieces(bytes: &[u8], cuts: &[prop::sample::Index]) -> (Vec<usize>, Option<usize>) {
    let mut ends: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
    ends.sort_unstable();
    ends.push(bytes.len());
    let mut v = Utf8Validator::new();
    let mut start = 0;
    for &end in &ends {
        if v.feed(&bytes[start..end]).is_err() {
            return (ends, Some(end));
        }
        start = end;
    }
    let failed = v.finish().is_err().then_some(bytes.len() + 1);
    (ends, failed)
}

fn opcode() -> impl Strategy<Value = OpCode> {
    prop_oneof![
        Just(OpCode::Continuation),
        Just(OpCode::Text),
        Just(OpCode::Binary),
        Just(OpCode::Close),
        Just(OpCode::Ping),
        Just(OpCode::Pong),
    ]
}

proptest! {
    #[test]
    fn header_round_trips(
        op in opcode(),
        fin in any::<bool>(),
        rsv in 0u8..8,
        len in prop_oneof![0u64..=125, 126u64..=0xffff, 0x1_0000u64..=(u64::MAX >> 1)],
        mask in proptest::option::of(any::<[u8; 4]>()),
    ) {
        let len = if op.is_control() { len % 126 } else { len };
        let fin = fin || op.is_control();
        let mut h = Header::new(op);
        h.set_fin(fin).set_rsv(rsv << 4).set_payload_len(len).set_mask(mask);
        let mut wire = Vec::new();
        h.encode(&mut wire);
        let mode = if mask.is_some() { Mode::Server } else { Mode::Client };
        let mut config = DecodeConfig::new(mode);
        config.set_allowed_rsv(RSV1 | RSV2 | RSV3);
        for split in 0..wire.len() {
            prop_assert_eq!(decode_header(&wire[..split], &config), Ok(None));
        }
        prop_assert_eq!(decode_header(&wire, &config), Ok(Some((h, wire.len()))));
    }

    #[test]
    fn decoder_never_panics_and_never_overreads(bytes in proptest::collection::vec(any::<u8>(), 0..32)) {
        for mode in [Mode::Client, Mode::Server] {
            let mut config = DecodeConfig::new(mode);
            config.set_max_payload_bytes(1 << 20);
            if let Ok(Some((_, n))) = decode_header(&bytes, &config) {
                prop_assert!(n <= bytes.len());
            }
        }
    }

    #[test]
    fn frames_round_trip_through_the_codec_at_any_split(
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..5),
        key in any::<[u8; 4]>(),
        split in any::<prop::sample::Index>(),
    ) {
        let mut wire = BytesMut::new();
        let mut sent = Vec::new();
        for p in &payloads {
            let mut f = Frame::new(Header::new(OpCode::Binary), &p[..]);
            f.mask_with(key);
            f.encode(&mut wire);
            sent.push(p.clone());
        }
        let cut = split.index(wire.len() + 1);
        let rest = wire.split_off(cut);
        let mut codec = FrameCodec::new(DecodeConfig::new(Mode::Server));
        let mut got = Vec::new();
        let mut buf = wire;
        while let Some(mut f) = codec.decode(&mut buf).unwrap() { f.unmask(); got.push(f.payload().to_vec()); }
        buf.extend_from_slice(&rest);
        while let Some(mut f) = codec.decode(&mut buf).unwrap() { f.unmask(); got.push(f.payload().to_vec()); }
        prop_assert_eq!(got, sent);
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn incremental_utf8_agrees_with_std(bytes in proptest::collection::vec(any::<u8>(), 0..64), cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4)) {
        let (_, failed) = feed_in_pieces(&bytes, &cuts);
        prop_assert_eq!(failed.is_none(), std::str::from_utf8(&bytes).is_ok());
    }

    /// Text long enough for the SIMD paths (they work in 64-byte blocks), with up to two
    /// bytes overwritten, cut into up to four pieces: the whole-buffer check and the
    /// incremental one give `std`'s answer, and the incremental one fails no later than the
    /// piece holding the byte that made the text invalid, and never before.
    #[test]
    fn utf8_checks_agree_with_std_and_fail_fast_on_long_text(
        text in "\\PC{0,300}",
        damage in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let mut bytes = text.into_bytes();
        if !bytes.is_empty() {
            for (at, b) in &damage {
                let i = at.index(bytes.len());
                bytes[i] = *b;
            }
        }
        let std_answer = std::str::from_utf8(&bytes);
        prop_assert_eq!(validate_utf8(&bytes).ok(), std_answer.ok());
        // How many bytes must have arrived before the text is known to be invalid: the
        // invalid sequence and the byte after it. (Text that only ends unfinished is known
        // to be invalid at `finish`.)
        let known_bad_after = std_answer.as_ref().err().and_then(|e| {
            e.error_len().map(|n| (e.valid_up_to() + n + 1).min(bytes.len()))
        });
        let (ends, failed_at) = feed_in_pieces(&bytes, &cuts);
        if let Some(bad) = known_bad_after {
            // Not accepted past the first piece that holds those bytes.
            let deadline = ends.iter().copied().find(|&end| end >= bad);
            prop_assert!(failed_at.is_some_and(|at| Some(at) <= deadline), "failed at {:?}, by {:?} of {} bytes", failed_at, deadline, bytes.len());
        }
        prop_assert_eq!(failed_at.is_some(), std_answer.is_err());
        if let (Some(at), Err(e)) = (failed_at, std_answer) {
            // Not before the bytes so far stopped being the start of valid text.
            prop_assert!(at > e.valid_up_to(), "failed after {} bytes, valid up to {}", at, e.valid_up_to());
        }
    }

    #[test]
    fn incremental_utf8_accepts_valid_text_at_any_split(text in "\\PC{0,40}", cut in any::<prop::sample::Index>()) {
        let bytes = text.as_bytes();
        let c = cut.index(bytes.len() + 1);
        let mut v = Utf8Validator::new();
        prop_assert!(v.feed(&bytes[..c]).is_ok());
        prop_assert!(v.feed(&bytes[c..]).is_ok());
        prop_assert!(v.finish().is_ok());
    }

    #[test]
    fn masking_in_pieces_matches_whole(data in proptest::collection::vec(any::<u8>(), 0..600), key in any::<[u8; 4]>(), cut in any::<prop::sample::Index>()) {
        let mut whole = data.clone();
        apply_mask_at(&mut whole, key, 0);
        let c = cut.index(data.len() + 1);
        let mut pieces = data.clone();
        let (a, b) = pieces.split_at_mut(c);
        apply_mask_at(a, key, 0);
        apply_mask_at(b, key, c);
        prop_assert_eq!(pieces, whole);
    }
}
