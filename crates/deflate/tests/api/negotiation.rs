//! RFC 7692 §7.1 negotiation through the public API: the server's answer to each offer, the
//! client's check of each response, and the two together for every combination of settings.

use sockeye_deflate::{codec::CloseCode, Deflate, Error, Extension, Mode, Negotiated};

use super::util::*;

fn server() -> Deflate {
    Deflate::new(Mode::Server)
}

fn client() -> Deflate {
    Deflate::new(Mode::Client)
}

/// The server's response to `offer`, as header strings, and what it agreed.
fn answer(server: &mut Deflate, offer: &str) -> (Vec<String>, Negotiated) {
    server
        .configure(&params(offer))
        .unwrap_or_else(|e| panic!("offer `{offer}` declined: {e}"));
    assert!(server.is_enabled());
    (strings(server.params()), *server.negotiated().unwrap())
}

/// The reason a server declines `offer`, after checking it stays disabled and silent.
fn declined(offer: &str) -> String {
    let mut server = server();
    let err = server.configure(&params(offer)).unwrap_err();
    assert_eq!(err.close_code(), CloseCode::PROTOCOL_ERROR);
    assert!(!server.is_enabled(), "{offer}");
    assert!(server.params().is_empty(), "{offer}");
    assert!(server.negotiated().is_none());
    err.to_string()
}

/// What a default client agrees to on `response`.
fn take(client: &mut Deflate, response: &str) -> Negotiated {
    client
        .configure(&params(response))
        .unwrap_or_else(|e| panic!("response `{response}` refused: {e}"));
    assert!(client.is_enabled());
    *client.negotiated().unwrap()
}

/// The reason `client` refuses `response`.
fn refused(mut client: Deflate, response: &str) -> String {
    let err = client.configure(&params(response)).unwrap_err();
    assert_eq!(err.close_code(), CloseCode::PROTOCOL_ERROR);
    assert!(!client.is_enabled(), "{response}");
    err.to_string()
}

fn terms(snct: bool, cnct: bool, sbits: u8, cbits: u8) -> (bool, bool, u8, u8) {
    (snct, cnct, sbits, cbits)
}

fn of(n: &Negotiated) -> (bool, bool, u8, u8) {
    (
        n.server_no_context_takeover,
        n.client_no_context_takeover,
        n.server_max_window_bits,
        n.client_max_window_bits,
    )
}

mod server_side {
    use super::*;

    #[test]
    fn a_plain_offer_gets_a_plain_answer() {
        let (response, n) = answer(&mut server(), "");
        assert!(response.is_empty());
        assert_eq!(of(&n), terms(false, false, 15, 15));
    }

    #[test]
    fn server_no_context_takeover_is_granted_and_stated() {
        let (response, n) = answer(&mut server(), "server_no_context_takeover");
        assert_eq!(response, ["server_no_context_takeover"]);
        assert_eq!(of(&n), terms(true, false, 15, 15));
    }

    #[test]
    fn server_no_context_takeover_by_our_own_choice() {
        let mut s = server();
        s.set_server_no_context_takeover(true);
        let (response, n) = answer(&mut s, "");
        assert_eq!(response, ["server_no_context_takeover"]);
        assert!(n.server_no_context_takeover);
    }

    #[test]
    fn client_no_context_takeover_is_echoed() {
        let (response, n) = answer(&mut server(), "client_no_context_takeover");
        assert_eq!(response, ["client_no_context_takeover"]);
        assert_eq!(of(&n), terms(false, true, 15, 15));
    }

    #[test]
    fn client_no_context_takeover_required_by_us() {
        let mut s = server();
        s.set_client_no_context_takeover(true);
        let (response, n) = answer(&mut s, "client_max_window_bits");
        assert_eq!(response, ["client_no_context_takeover"]);
        assert!(n.client_no_context_takeover);
    }

    #[test]
    fn server_max_window_bits_is_honoured_at_or_below_the_request() {
        let (response, n) = answer(&mut server(), "server_max_window_bits=10");
        assert_eq!(response, ["server_max_window_bits=10"]);
        assert_eq!(n.server_max_window_bits, 10);
        let mut s = server();
        s.set_max_server_window_bits(9).unwrap();
        assert_eq!(
            answer(&mut s, "server_max_window_bits=10").0,
            ["server_max_window_bits=9"]
        );
        let mut s = server();
        s.set_max_server_window_bits(12).unwrap();
        assert_eq!(
            answer(&mut s, "server_max_window_bits=10").0,
            ["server_max_window_bits=10"]
        );
    }

    #[test]
    fn server_max_window_bits_unasked_when_we_limit_ourselves() {
        let mut s = server();
        s.set_max_server_window_bits(11).unwrap();
        let (response, n) = answer(&mut s, "");
        assert_eq!(response, ["server_max_window_bits=11"]);
        assert_eq!(n.server_max_window_bits, 11);
    }

    #[test]
    fn server_max_window_bits_8_is_answered_as_asked() {
        let (response, n) = answer(&mut server(), "server_max_window_bits=8");
        assert_eq!(response, ["server_max_window_bits=8"]);
        assert_eq!(n.server_max_window_bits, 8);
    }

    #[test]
    fn value_less_client_max_window_bits_lets_us_pick_or_not() {
        let (response, n) = answer(&mut server(), "client_max_window_bits");
        assert!(response.is_empty());
        assert_eq!(n.client_max_window_bits, 15);
        let mut s = server();
        s.set_max_client_window_bits(10).unwrap();
        let (response, n) = answer(&mut s, "client_max_window_bits");
        assert_eq!(response, ["client_max_window_bits=10"]);
        assert_eq!(n.client_max_window_bits, 10);
    }

    #[test]
    fn client_max_window_bits_with_a_value_is_echoed_or_lowered() {
        let (response, n) = answer(&mut server(), "client_max_window_bits=12");
        assert_eq!(response, ["client_max_window_bits=12"]);
        assert_eq!(n.client_max_window_bits, 12);
        let mut s = server();
        s.set_max_client_window_bits(10).unwrap();
        assert_eq!(
            answer(&mut s, "client_max_window_bits=12").0,
            ["client_max_window_bits=10"]
        );
        let mut s = server();
        s.set_max_client_window_bits(14).unwrap();
        assert_eq!(
            answer(&mut s, "client_max_window_bits=12").0,
            ["client_max_window_bits=12"]
        );
    }

    #[test]
    fn client_max_window_bits_is_never_answered_unless_offered() {
        let mut s = server();
        s.set_max_client_window_bits(10).unwrap();
        let (response, n) = answer(&mut s, "server_no_context_takeover");
        assert_eq!(response, ["server_no_context_takeover"]);
        assert_eq!(n.client_max_window_bits, 15);
    }

    #[test]
    fn everything_at_once_in_a_fixed_order() {
        let mut s = server();
        s.set_max_client_window_bits(9).unwrap();
        let (response, n) = answer(
            &mut s,
            "client_max_window_bits; server_max_window_bits=12; client_no_context_takeover; \
             server_no_context_takeover",
        );
        assert_eq!(
            response,
            [
                "server_no_context_takeover",
                "client_no_context_takeover",
                "server_max_window_bits=12",
                "client_max_window_bits=9"
            ]
        );
        assert_eq!(of(&n), terms(true, true, 12, 9));
    }

    #[test]
    fn quoted_values_are_accepted_and_answered_bare() {
        let (response, n) = answer(
            &mut server(),
            r#"server_max_window_bits="10"; client_max_window_bits="11""#,
        );
        assert_eq!(
            response,
            ["server_max_window_bits=10", "client_max_window_bits=11"]
        );
        assert_eq!(of(&n), terms(false, false, 10, 11));
    }

    #[test]
    fn unknown_parameters_decline_the_offer() {
        let reason = declined("server_no_context_takeover; x_custom=1");
        assert_eq!(
            reason,
            "extension permessage-deflate: client's offer has unknown parameter `x_custom`"
        );
        // RFC 7692 §7: also parameters defined for other extensions or spelled differently.
        declined("Server_No_Context_Takeover");
        declined("server_max_window_bit=10");
    }

    #[test]
    fn repeated_parameters_decline_the_offer() {
        for offer in [
            "server_no_context_takeover; server_no_context_takeover",
            "client_no_context_takeover; client_no_context_takeover",
            "server_max_window_bits=10; server_max_window_bits=10",
            "client_max_window_bits; client_max_window_bits",
            "client_max_window_bits=9; client_max_window_bits",
        ] {
            let reason = declined(offer);
            assert!(reason.contains("repeats parameter"), "{offer}: {reason}");
        }
    }

    #[test]
    fn invalid_values_decline_the_offer() {
        for offer in [
            "server_max_window_bits",
            "server_max_window_bits=7",
            "server_max_window_bits=16",
            "server_max_window_bits=08",
            "server_max_window_bits=ten",
            "server_max_window_bits=",
            "client_max_window_bits=0",
            "client_max_window_bits=99",
            "client_max_window_bits=\"16\"",
            "server_no_context_takeover=1",
            "client_no_context_takeover=true",
        ] {
            let reason = declined(offer);
            assert!(reason.contains("value"), "{offer}: {reason}");
        }
        assert_eq!(
            declined("server_max_window_bits=16"),
            "extension permessage-deflate: client's offer gives server_max_window_bits the value \
             `16`; it must be 8 to 15"
        );
    }

    #[test]
    fn several_offers_the_first_acceptable_one_wins() {
        // permessage-deflate; x=1, permessage-deflate; server_max_window_bits=10,
        // permessage-deflate
        let offers = [
            params("x=1"),
            params("server_max_window_bits=10"),
            params(""),
        ];
        let mut s = server();
        assert_eq!(accept_first(&mut s, &offers), Some(1));
        assert_eq!(strings(s.params()), ["server_max_window_bits=10"]);
        assert_eq!(s.negotiated().unwrap().server_max_window_bits, 10);
    }

    #[test]
    fn several_offers_all_unacceptable_leave_compression_off() {
        let offers = [params("x=1"), params("server_max_window_bits=16")];
        let mut s = server();
        assert_eq!(accept_first(&mut s, &offers), None);
        assert!(!s.is_enabled());
        assert!(s.params().is_empty());
    }
}

mod client_side {
    use super::*;

    #[test]
    fn the_default_offer_lets_the_server_pick_our_window() {
        let c = client();
        assert_eq!(c.name(), "permessage-deflate");
        assert_eq!(strings(c.params()), ["client_max_window_bits"]);
        assert!(!c.is_enabled());
    }

    #[test]
    fn every_setting_appears_in_the_offer() {
        let mut c = client();
        c.set_server_no_context_takeover(true)
            .set_client_no_context_takeover(true)
            .set_max_server_window_bits(10)
            .unwrap()
            .set_max_client_window_bits(11)
            .unwrap();
        assert_eq!(
            strings(c.params()),
            [
                "server_no_context_takeover",
                "client_no_context_takeover",
                "server_max_window_bits=10",
                "client_max_window_bits=11"
            ]
        );
    }

    #[test]
    fn setters_reject_windows_outside_9_to_15_and_levels_above_9() {
        let mut c = client();
        for bits in [0, 7, 8, 16, 255] {
            assert_eq!(
                c.set_max_server_window_bits(bits).unwrap_err(),
                Error::WindowBits { bits }
            );
            assert_eq!(
                c.set_max_client_window_bits(bits).unwrap_err(),
                Error::WindowBits { bits }
            );
        }
        assert_eq!(
            Error::WindowBits { bits: 8 }.to_string(),
            "window bits must be within 9..=15, got 8 (zlib cannot compress with the 256-byte \
             window of 8 bits)"
        );
        assert_eq!(
            c.set_compression_level(10).unwrap_err(),
            Error::Level { level: 10 }
        );
        assert!(c.set_compression_level(9).is_ok());
        // Nothing rejected reached the offer.
        assert_eq!(strings(c.params()), ["client_max_window_bits"]);
    }

    #[test]
    fn a_plain_response_agrees_to_the_defaults() {
        assert_eq!(of(&take(&mut client(), "")), terms(false, false, 15, 15));
    }

    #[test]
    fn server_no_context_takeover_unasked_is_fine() {
        assert_eq!(
            of(&take(&mut client(), "server_no_context_takeover")),
            terms(true, false, 15, 15)
        );
    }

    #[test]
    fn server_no_context_takeover_asked_must_be_granted() {
        let mut c = client();
        c.set_server_no_context_takeover(true);
        assert_eq!(
            refused(c, ""),
            "extension permessage-deflate: server's response omits server_no_context_takeover, \
             which the offer required"
        );
        let mut c = client();
        c.set_server_no_context_takeover(true);
        assert!(take(&mut c, "server_no_context_takeover").server_no_context_takeover);
    }

    #[test]
    fn client_no_context_takeover_from_the_server_is_obeyed() {
        assert!(take(&mut client(), "client_no_context_takeover").client_no_context_takeover);
    }

    #[test]
    fn client_no_context_takeover_we_offered_holds_even_if_not_echoed() {
        let mut c = client();
        c.set_client_no_context_takeover(true);
        assert!(take(&mut c, "").client_no_context_takeover);
    }

    #[test]
    fn server_max_window_bits_at_or_below_our_request() {
        let mut c = client();
        c.set_max_server_window_bits(10).unwrap();
        assert_eq!(
            take(&mut c, "server_max_window_bits=9").server_max_window_bits,
            9
        );
        let mut c = client();
        c.set_max_server_window_bits(10).unwrap();
        assert_eq!(
            take(&mut c, "server_max_window_bits=10").server_max_window_bits,
            10
        );
        let mut c = client();
        c.set_max_server_window_bits(10).unwrap();
        assert!(refused(c, "server_max_window_bits=11").contains("over the offered 10"));
        let mut c = client();
        c.set_max_server_window_bits(10).unwrap();
        assert!(refused(c, "").contains("omits server_max_window_bits"));
    }

    #[test]
    fn server_max_window_bits_unasked_is_fine() {
        assert_eq!(
            take(&mut client(), "server_max_window_bits=12").server_max_window_bits,
            12
        );
        assert_eq!(
            take(&mut client(), "server_max_window_bits=8").server_max_window_bits,
            8
        );
    }

    #[test]
    fn client_max_window_bits_picked_by_the_server() {
        assert_eq!(
            take(&mut client(), "client_max_window_bits=10").client_max_window_bits,
            10
        );
        assert_eq!(
            take(&mut client(), "client_max_window_bits=8").client_max_window_bits,
            8
        );
        let mut c = client();
        c.set_max_client_window_bits(11).unwrap();
        assert_eq!(
            take(&mut c, "client_max_window_bits=9").client_max_window_bits,
            9
        );
        let mut c = client();
        c.set_max_client_window_bits(11).unwrap();
        assert_eq!(take(&mut c, "").client_max_window_bits, 11);
        let mut c = client();
        c.set_max_client_window_bits(11).unwrap();
        assert!(refused(c, "client_max_window_bits=12").contains("over the offered 11"));
    }

    #[test]
    fn client_max_window_bits_without_a_value_is_invalid_in_a_response() {
        assert_eq!(
            refused(client(), "client_max_window_bits"),
            "extension permessage-deflate: server's response gives client_max_window_bits no \
             value"
        );
    }

    #[test]
    fn malformed_responses_are_refused() {
        for response in [
            "x_custom",
            "server_no_context_takeover; server_no_context_takeover",
            "server_max_window_bits=10; server_max_window_bits=9",
            "client_max_window_bits=10; client_max_window_bits=10",
            "server_max_window_bits=16",
            "server_max_window_bits",
            "client_max_window_bits=7",
            "server_no_context_takeover=yes",
        ] {
            refused(client(), response);
        }
    }

    #[test]
    fn quoted_values_in_a_response() {
        let n = take(
            &mut client(),
            r#"server_max_window_bits="12"; client_max_window_bits="13""#,
        );
        assert_eq!(of(&n), terms(false, false, 12, 13));
    }

    #[test]
    fn a_second_acceptance_in_one_response_is_refused() {
        let mut c = client();
        take(&mut c, "");
        let err = c.configure(&[]).unwrap_err();
        assert!(err.to_string().contains("twice"), "{err}");
        assert!(
            c.is_enabled(),
            "the first agreement stands for the handshake to fail on"
        );
    }
}

/// Every combination of settings on both sides: the server always answers, the client always
/// accepts that answer, and both come out with the same terms, each no looser than asked.
#[test]
fn every_combination_of_settings_agrees_on_both_sides() {
    let windows = [None, Some(9), Some(12), Some(15)];
    let mut combinations = 0;
    for flags in 0..16u8 {
        for &(cs, cc) in &cartesian(&windows) {
            for &(ss, sc) in &cartesian(&windows) {
                let mut c = client();
                c.set_server_no_context_takeover(flags & 1 != 0)
                    .set_client_no_context_takeover(flags & 2 != 0);
                let mut s = server();
                s.set_server_no_context_takeover(flags & 4 != 0)
                    .set_client_no_context_takeover(flags & 8 != 0);
                for (ext, server_bits, client_bits) in [(&mut c, cs, cc), (&mut s, ss, sc)] {
                    if let Some(bits) = server_bits {
                        ext.set_max_server_window_bits(bits).unwrap();
                    }
                    if let Some(bits) = client_bits {
                        ext.set_max_client_window_bits(bits).unwrap();
                    }
                }
                assert!(negotiate(&mut c, &mut s));
                let (a, b) = (*c.negotiated().unwrap(), *s.negotiated().unwrap());
                assert_eq!(a, b);
                assert_eq!(a.server_no_context_takeover, flags & 5 != 0);
                assert_eq!(a.client_no_context_takeover, flags & 10 != 0);
                let lowest = |x: Option<u8>, y: Option<u8>| x.unwrap_or(15).min(y.unwrap_or(15));
                assert_eq!(a.server_max_window_bits, lowest(cs, ss));
                assert_eq!(a.client_max_window_bits, lowest(cc, sc));
                combinations += 1;
            }
        }
    }
    assert_eq!(combinations, 16 * 16 * 16);
}

fn cartesian(values: &[Option<u8>]) -> Vec<(Option<u8>, Option<u8>)> {
    values
        .iter()
        .flat_map(|&a| values.iter().map(move |&b| (a, b)))
        .collect()
}
