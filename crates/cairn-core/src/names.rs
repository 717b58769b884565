//! Random run names in MLflow's `adjective-noun-NNN` style.

use rand::Rng;

const ADJECTIVES: &[&str] = &[
    "able", "agile", "amber", "ancient", "bold", "brave", "bright", "calm", "clever", "crisp",
    "dapper", "eager", "fair", "gentle", "glad", "golden", "grand", "happy", "honest", "jolly",
    "keen", "kind", "lively", "lucky", "merry", "mighty", "nimble", "noble", "patient", "polite",
    "proud", "quick", "quiet", "rare", "rustic", "serene", "sharp", "silent", "sleek", "smooth",
    "steady", "stellar", "sunny", "swift", "tidy", "valiant", "vivid", "warm", "wise", "zesty",
];

const NOUNS: &[&str] = &[
    "ant", "badger", "bear", "bee", "bison", "cairn", "cat", "crane", "deer", "dove", "eagle",
    "elk", "falcon", "finch", "fox", "gull", "hare", "hawk", "heron", "ibis", "jay", "koala",
    "lark", "lynx", "mole", "moose", "newt", "otter", "owl", "panda", "quail", "raven", "robin",
    "seal", "shrike", "sloth", "snail", "stag", "swan", "tern", "toad", "trout", "vole", "wasp",
    "whale", "wolf", "wren", "yak", "zebra", "pika",
];

/// A fresh random run name such as `swift-otter-417`.
pub fn random_run_name<R: Rng + ?Sized>(rng: &mut R) -> String {
    let adjective = ADJECTIVES[rng.random_range(0..ADJECTIVES.len())];
    let noun = NOUNS[rng.random_range(0..NOUNS.len())];
    let number: u16 = rng.random_range(0..1000);
    format!("{adjective}-{noun}-{number}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_have_three_parts() {
        let mut rng = rand::rng();
        for _ in 0..100 {
            let name = random_run_name(&mut rng);
            let parts: Vec<&str> = name.split('-').collect();
            assert_eq!(parts.len(), 3, "{name}");
            assert!(parts[2].parse::<u16>().unwrap() < 1000);
        }
    }
}
