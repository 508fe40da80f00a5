//! Negotiation of the permessage-deflate parameters (RFC 7692 §7.1): building the client's
//! offer, choosing the server's response to one offer, and checking that response on the
//! client.
//!
//! Everything here is pure: parameters in, parameters and a [`Negotiated`] result out.
//! A rejection is a `String` naming the parameter and whose it was; the caller wraps it in a
//! codec error.

use codec::Param;

use crate::MAX_WINDOW_BITS;

/// The registered extension name (RFC 7692 §7).
pub(crate) const NAME: &str = "permessage-deflate";

const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

/// What the local side asks for, set through [`crate::Deflate`]'s setters. Each field is
/// named after the wire parameter it drives; see the crate docs for its meaning on each side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Config {
    pub(crate) server_no_context_takeover: bool,
    pub(crate) client_no_context_takeover: bool,
    /// 9..=15, checked by the setter.
    pub(crate) server_max_window_bits: Option<u8>,
    /// 9..=15, checked by the setter.
    pub(crate) client_max_window_bits: Option<u8>,
}

/// The terms both sides agreed on: what each side's compressor may do.
///
/// Window sizes are the base-2 logarithm of the LZ77 window, 8..=15; 15 (32 KiB) when the
/// handshake did not limit it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Negotiated {
    /// The server resets its compressor for every message.
    pub server_no_context_takeover: bool,
    /// The client resets its compressor for every message.
    pub client_no_context_takeover: bool,
    /// The largest window the server compresses with.
    pub server_max_window_bits: u8,
    /// The largest window the client compresses with.
    pub client_max_window_bits: u8,
}

/// A parameter list as parsed from one offer or one response.
#[derive(Debug, Default)]
struct Parsed {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    /// `Some(None)`: present without a value (allowed in an offer only).
    client_max_window_bits: Option<Option<u8>>,
}

/// Whose parameters are being parsed, for the rules that differ and for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Offer,
    Response,
}

impl Source {
    fn describe(self) -> &'static str {
        match self {
            Self::Offer => "client's offer",
            Self::Response => "server's response",
        }
    }
}

/// The client's offer for `config`.
///
/// `client_max_window_bits` is always offered, without a value unless the window is limited:
/// the server may then pick the client's window (RFC 7692 §7.1.2.2), and a client offering it
/// must accept any value the server picks, which we do (see [`window_for_compressing`]).
pub(crate) fn offer(config: &Config) -> Vec<Param> {
    let mut params = Vec::with_capacity(4);
    if config.server_no_context_takeover {
        params.push(Param::new(SERVER_NO_CONTEXT_TAKEOVER));
    }
    if config.client_no_context_takeover {
        params.push(Param::new(CLIENT_NO_CONTEXT_TAKEOVER));
    }
    if let Some(bits) = config.server_max_window_bits {
        params.push(Param::with_value(SERVER_MAX_WINDOW_BITS, bits.to_string()));
    }
    params.push(match config.client_max_window_bits {
        Some(bits) => Param::with_value(CLIENT_MAX_WINDOW_BITS, bits.to_string()),
        None => Param::new(CLIENT_MAX_WINDOW_BITS),
    });
    params
}

/// The server's decision on one offer: the agreed terms and the response parameters, which
/// state exactly what was agreed. `Err` declines the offer.
pub(crate) fn accept_offer(
    config: &Config,
    offer: &[Param],
) -> Result<(Negotiated, Vec<Param>), String> {
    let offered = parse(offer, Source::Offer)?;

    // RFC 7692 §7.1.1.1: a server that accepts an offer with "server_no_context_takeover"
    // includes it in the response, and may include it unasked when it prefers to reset.
    let server_no_context_takeover =
        offered.server_no_context_takeover || config.server_no_context_takeover;
    // RFC 7692 §7.1.1.2: the client announces that it will not use context takeover, or the
    // server asks it not to ("A client MUST support the "client_no_context_takeover"
    // extension parameter"). Echoed, so the response states every agreed term.
    let client_no_context_takeover =
        offered.client_no_context_takeover || config.client_no_context_takeover;
    // RFC 7692 §7.1.2.1: "A server accepts an extension negotiation offer with this parameter
    // by including the "server_max_window_bits" extension parameter in the extension
    // negotiation response to send back to the client with the same or smaller value as the
    // offer." It may also include it when the offer did not.
    let server_max_window_bits = min_of(
        offered.server_max_window_bits,
        config.server_max_window_bits,
    );
    // RFC 7692 §7.1.2.2: "If a received extension negotiation offer doesn't have the
    // "client_max_window_bits" extension parameter, the corresponding extension negotiation
    // response to the offer MUST NOT include the "client_max_window_bits" extension
    // parameter." With a value, the response's value must be "equal to or smaller than the
    // received value".
    let client_max_window_bits = match offered.client_max_window_bits {
        None => None,
        Some(value) => min_of(value, config.client_max_window_bits),
    };

    let mut response = Vec::with_capacity(4);
    if server_no_context_takeover {
        response.push(Param::new(SERVER_NO_CONTEXT_TAKEOVER));
    }
    if client_no_context_takeover {
        response.push(Param::new(CLIENT_NO_CONTEXT_TAKEOVER));
    }
    if let Some(bits) = server_max_window_bits {
        response.push(Param::with_value(SERVER_MAX_WINDOW_BITS, bits.to_string()));
    }
    if let Some(bits) = client_max_window_bits {
        response.push(Param::with_value(CLIENT_MAX_WINDOW_BITS, bits.to_string()));
    }
    let negotiated = Negotiated {
        server_no_context_takeover,
        client_no_context_takeover,
        server_max_window_bits: server_max_window_bits.unwrap_or(MAX_WINDOW_BITS),
        client_max_window_bits: client_max_window_bits.unwrap_or(MAX_WINDOW_BITS),
    };
    Ok((negotiated, response))
}

/// The client's check of the server's response to the offer built from `config`.
pub(crate) fn accept_response(config: &Config, response: &[Param]) -> Result<Negotiated, String> {
    let got = parse(response, Source::Response)?;

    // RFC 7692 §7.1.1.1: asking for "server_no_context_takeover" is a requirement, not a hint;
    // a server that accepts the offer includes it in the response.
    if config.server_no_context_takeover && !got.server_no_context_takeover {
        return Err(format!(
            "server's response omits {SERVER_NO_CONTEXT_TAKEOVER}, which the offer required"
        ));
    }
    // RFC 7692 §7.1.1.2: "A client MUST support the "client_no_context_takeover" extension
    // parameter"; and having offered it, we keep our word even if the response omits it.
    let client_no_context_takeover =
        got.client_no_context_takeover || config.client_no_context_takeover;
    // RFC 7692 §7.1.2.1: the response carries "the same or smaller value as the offer".
    let server_max_window_bits = match (config.server_max_window_bits, got.server_max_window_bits) {
        (Some(asked), None) => {
            return Err(format!(
                "server's response omits {SERVER_MAX_WINDOW_BITS}, which the offer limited to \
                 {asked}"
            ))
        }
        (Some(asked), Some(bits)) if bits > asked => {
            return Err(format!(
                "server's response has {SERVER_MAX_WINDOW_BITS}={bits}, over the offered {asked}"
            ))
        }
        (_, bits) => bits.unwrap_or(MAX_WINDOW_BITS),
    };
    // RFC 7692 §7.1.2.2: our offer always carries "client_max_window_bits", so the server may
    // pick any value, up to ours when we gave one.
    let client_max_window_bits = match (config.client_max_window_bits, got.client_max_window_bits) {
        (Some(ours), Some(Some(bits))) if bits > ours => {
            return Err(format!(
                "server's response has {CLIENT_MAX_WINDOW_BITS}={bits}, over the offered {ours}"
            ))
        }
        (_, Some(Some(bits))) => bits,
        (ours, _) => ours.unwrap_or(MAX_WINDOW_BITS),
    };
    Ok(Negotiated {
        server_no_context_takeover: got.server_no_context_takeover,
        client_no_context_takeover,
        server_max_window_bits,
        client_max_window_bits,
    })
}

/// The smaller of two optional window limits, or whichever is set.
fn min_of(a: Option<u8>, b: Option<u8>) -> Option<u8> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Parses one offer or response.
///
/// RFC 7692 §7: "A server MUST decline an extension negotiation offer for this extension if
/// any of the following conditions are met: The negotiation offer contains an extension
/// parameter not defined for use in an offer. The negotiation offer contains an extension
/// parameter with an invalid value. The negotiation offer contains multiple extension
/// parameters with the same name." A client fails the connection on a response with the
/// same defects.
fn parse(params: &[Param], source: Source) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    for param in params {
        let name = param.name();
        let duplicate = match name {
            SERVER_NO_CONTEXT_TAKEOVER => {
                no_value(param, source)?;
                std::mem::replace(&mut parsed.server_no_context_takeover, true)
            }
            CLIENT_NO_CONTEXT_TAKEOVER => {
                no_value(param, source)?;
                std::mem::replace(&mut parsed.client_no_context_takeover, true)
            }
            SERVER_MAX_WINDOW_BITS => {
                let bits = match param.value() {
                    Some(v) => window_bits(name, v, source)?,
                    None => return Err(missing_value(name, source)),
                };
                parsed.server_max_window_bits.replace(bits).is_some()
            }
            CLIENT_MAX_WINDOW_BITS => {
                // RFC 7692 §7.1.2.2: the parameter "may have a value" in an offer; a response
                // that includes it gives the value the client must use.
                let bits = match (param.value(), source) {
                    (Some(v), _) => Some(window_bits(name, v, source)?),
                    (None, Source::Offer) => None,
                    (None, Source::Response) => return Err(missing_value(name, source)),
                };
                parsed.client_max_window_bits.replace(bits).is_some()
            }
            _ => {
                return Err(format!(
                    "{} has unknown parameter `{}`",
                    source.describe(),
                    truncated(name)
                ))
            }
        };
        if duplicate {
            return Err(format!("{} repeats parameter {name}", source.describe()));
        }
    }
    Ok(parsed)
}

fn no_value(param: &Param, source: Source) -> Result<(), String> {
    match param.value() {
        None => Ok(()),
        Some(v) => Err(format!(
            "{} gives {} the value `{}`; it takes none",
            source.describe(),
            param.name(),
            truncated(v)
        )),
    }
}

fn missing_value(name: &str, source: Source) -> String {
    format!("{} gives {name} no value", source.describe())
}

/// Parses a window size: a decimal integer from 8 to 15 without leading zeros (RFC 7692
/// §7.1.2.1 and §7.1.2.2), bare or as a quoted-string (`"10"`), which the handshake may or
/// may not have unquoted.
fn window_bits(name: &str, value: &str, source: Source) -> Result<u8, String> {
    let digits = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    match digits {
        "8" | "9" | "10" | "11" | "12" | "13" | "14" | "15" => {
            Ok(digits.parse().expect("the pattern lists decimal integers"))
        }
        _ => Err(format!(
            "{} gives {name} the value `{}`; it must be 8 to 15",
            source.describe(),
            truncated(value)
        )),
    }
}

/// Peer-controlled text for an error message, cut to a sensible length.
fn truncated(s: &str) -> &str {
    const MAX: usize = 40;
    if s.len() <= MAX {
        return s;
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: None,
            client_max_window_bits: None,
        }
    }

    fn p(name: &str, value: Option<&str>) -> Param {
        match value {
            Some(v) => Param::with_value(name, v),
            None => Param::new(name),
        }
    }

    #[test]
    fn window_bits_accepts_8_to_15_bare_or_quoted() {
        for bits in 8..=15u8 {
            let bare = bits.to_string();
            let quoted = format!("\"{bits}\"");
            assert_eq!(window_bits("x", &bare, Source::Offer), Ok(bits));
            assert_eq!(window_bits("x", &quoted, Source::Offer), Ok(bits));
        }
    }

    #[test]
    fn window_bits_rejects_everything_else() {
        for bad in [
            "", "7", "16", "0", "08", "010", "+9", "9 ", " 9", "\"9", "9\"", "\"\"", "nine", "1e1",
            "255", "256", "-9", "\"1\\0\"",
        ] {
            assert!(window_bits("x", bad, Source::Offer).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn long_unknown_names_are_cut_in_messages() {
        let name = "é".repeat(100);
        let err = parse(&[p(&name, None)], Source::Offer).unwrap_err();
        assert!(err.len() < 120, "{err}");
    }

    #[test]
    fn offer_defaults_to_value_less_client_max_window_bits() {
        assert_eq!(offer(&config()), vec![p(CLIENT_MAX_WINDOW_BITS, None)]);
    }

    #[test]
    fn a_response_with_value_less_client_max_window_bits_is_rejected() {
        let err = accept_response(&config(), &[p(CLIENT_MAX_WINDOW_BITS, None)]).unwrap_err();
        assert_eq!(
            err,
            "server's response gives client_max_window_bits no value"
        );
    }
}
