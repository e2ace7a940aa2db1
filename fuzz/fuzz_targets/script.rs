//! Ceremony-script and answers-file parsing: the same text is read as a
//! script and as an answers file; a script that parses has each step's
//! `${input}` references substituted with the answers' inputs.
#![no_main]

use ceremony::script::answers::Answers;
use ceremony::script::{Script, references, substitute, substitute_step};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = references(text);
    let inputs = Answers::parse(text).map(|a| a.inputs()).unwrap_or_default();
    if let Ok(script) = Script::parse(text) {
        // Every declared input given, as a run asks for them all.
        let mut given: BTreeMap<String, String> = script
            .inputs
            .keys()
            .map(|k| (k.clone(), format!("value-of-{k}")))
            .collect();
        given.extend(inputs);
        if let Some(g) = &script.gun {
            let _ = substitute(g, &given);
        }
        for s in &script.steps {
            let _ = substitute(&s.say, &given);
            let _ = substitute_step(&s.step, &given);
        }
    }
});
