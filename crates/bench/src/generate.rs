//! The STIX generator of the benchmarks: realistic objects, deterministic for a seed.

/// Generates realistic STIX objects: indicators (IP, domain, URL and file-hash patterns),
/// malware families and relationships, with TLP markings and references, ~600 bytes each.
pub struct Generator {
    state: u64,
    n: u64,
    malware: Vec<String>,
    indicators: Vec<String>,
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        Self {
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            n: 0,
            malware: Vec::new(),
            indicators: Vec::new(),
        }
    }

    fn next(&mut self) -> u64 {
        // xorshift64*: fast and good enough to vary generated data.
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        let h = format!("{a:016x}{b:016x}");
        format!(
            "{}-{}-4{}-a{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        )
    }

    pub fn object(&mut self) -> String {
        self.n += 1;
        let day = 1 + self.next() % 28;
        let created = format!(
            "2026-{:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
            1 + self.next() % 11,
            self.next() % 24,
            self.next() % 60,
            self.next() % 60,
            self.next() % 1000
        );
        let tlp = [
            pacific_core::tlp::TLP2_CLEAR,
            pacific_core::tlp::TLP2_GREEN,
            pacific_core::tlp::TLP2_AMBER,
        ][(self.next() % 3) as usize];
        let roll = self.next() % 10;
        if roll == 0 || self.malware.is_empty() {
            let id = format!("malware--{}", self.uuid());
            let family = ["Industroyer", "BlackEnergy", "Triton", "Havex", "PipeDream"]
                [(self.next() % 5) as usize];
            self.malware.push(id.clone());
            if self.malware.len() > 64 {
                self.malware.remove(0);
            }
            return format!(
                r#"{{"type":"malware","spec_version":"2.1","id":"{id}","created":"{created}","modified":"{created}","name":"{family} variant {}","is_family":true,"malware_types":["trojan","backdoor"],"description":"Variant observed against electricity operators.","object_marking_refs":["{tlp}"],"x_pacific_bench":true}}"#,
                self.n
            );
        }
        if roll <= 2 && !self.indicators.is_empty() {
            let (a, b) = (self.next() as usize, self.next() as usize);
            let source = self.indicators[a % self.indicators.len()].clone();
            let target = self.malware[b % self.malware.len()].clone();
            return format!(
                r#"{{"type":"relationship","spec_version":"2.1","id":"relationship--{}","created":"{created}","modified":"{created}","relationship_type":"indicates","source_ref":"{source}","target_ref":"{target}","object_marking_refs":["{tlp}"]}}"#,
                self.uuid()
            );
        }
        let id = format!("indicator--{}", self.uuid());
        let r = self.next();
        let pattern = match r % 4 {
            0 => format!(
                "[ipv4-addr:value = '{}.{}.{}.{}']",
                1 + r % 223,
                (r >> 8) % 256,
                (r >> 16) % 256,
                (r >> 24) % 256
            ),
            1 => format!(
                "[domain-name:value = 'c2-{:x}.example-threat.net']",
                r >> 20
            ),
            2 => format!(
                "[url:value = 'https://login-{:x}.example-phish.org/session']",
                r >> 24
            ),
            _ => format!(
                "[file:hashes.'SHA-256' = '{:016x}{:016x}{:016x}{:016x}']",
                self.next(),
                self.next(),
                self.next(),
                self.next()
            ),
        };
        self.indicators.push(id.clone());
        if self.indicators.len() > 256 {
            self.indicators.remove(0);
        }
        format!(
            r#"{{"type":"indicator","spec_version":"2.1","id":"{id}","created":"{created}","modified":"{created}","name":"Infrastructure seen in the grid intrusion","description":"Observed in traffic from a compromised engineering workstation.","indicator_types":["malicious-activity"],"pattern":"{pattern}","pattern_type":"stix","valid_from":"{created}","labels":["energy","ics"],"confidence":{},"object_marking_refs":["{tlp}"],"external_references":[{{"source_name":"pacific-bench","external_id":"B-{}"}}]}}"#,
            50 + r % 50,
            self.n
        )
    }
}

/// A GREEN indicator of typical size (~550 bytes of JSON), unique per call.
pub fn green_indicator(n: u64) -> String {
    let now = pacific_core::Timestamp::now();
    let id = pacific_node::new_uuid();
    format!(
        concat!(
            r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{id}","created":"{now}","modified":"{now}","#,
            r#""name":"C2 server {n}","description":"Command-and-control server seen in intrusions against power operators.","#,
            r#""indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '198.51.{a}.{b}']","pattern_type":"stix","#,
            r#""valid_from":"{now}","labels":["ics","c2"],"object_marking_refs":["{tlp}"]}}"#
        ),
        id = id,
        now = now.as_str(),
        n = n,
        a = (n / 256) % 256,
        b = n % 256,
        tlp = pacific_core::tlp::TLP2_GREEN,
    )
}

#[cfg(test)]
mod tests {
    use pacific_core::StixObject;

    use super::*;

    #[test]
    fn generated_objects_are_valid_stix() {
        let mut g = Generator::new(3);
        for _ in 0..2000 {
            let text = g.object();
            if let Err(e) = StixObject::from_json(&text) {
                panic!("{e}: {text}");
            }
        }
    }
}
