//! The usage events of one month: calls, agent workflows and nightly batch rows.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use tokentally_domain::event::{Outcome, ServiceTier, UsageEvent};
use tokentally_domain::month::Month;
use tokentally_domain::tokens::TokenCounts;

use super::features::{FEATURES, Feature, Kind, Model};
use super::keys::{CUSTOMERS, KEYS, Key, Tagged};
use super::rng::Rng;
use super::{DemoSpec, MONTHLY_GROWTH, SOURCE, SPIKE_DAYS, SPIKE_FACTOR, SPIKE_TEAM};

/// The bounds a generated timestamp must keep: inside its month and not after `now`.
#[derive(Clone, Copy)]
struct Window {
    end_exclusive: DateTime<Utc>,
    now: DateTime<Utc>,
}

impl Window {
    fn fits(&self, t: DateTime<Utc>) -> bool {
        t < self.end_exclusive && t <= self.now
    }
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc()
}

pub(super) fn month_key(m: Month) -> u64 {
    (m.year() as u64) * 12 + u64::from(m.number())
}

pub(super) fn month_events(
    spec: &DemoSpec,
    index: usize,
    month: Month,
    workflow_counters: &mut [u32],
) -> Vec<UsageEvent> {
    let window = Window {
        end_exclusive: midnight(month.end_exclusive()),
        now: spec.now,
    };
    if midnight(month.first_day()) > spec.now {
        return Vec::new();
    }
    let centre = (f64::from(spec.months) - 1.0) / 2.0;
    let offset = index as f64 - centre;
    let month_total = f64::from(spec.events_per_month) * MONTHLY_GROWTH.powf(offset);
    let months_before_last = spec.months as usize - 1 - index;
    let spike_index = spec.months.saturating_sub(3) as usize;
    let total_share: f64 = FEATURES.iter().map(|f| f.share).sum();

    let mut drafts: Vec<UsageEvent> = Vec::new();
    for (fi, f) in FEATURES.iter().enumerate() {
        if f.since.is_some_and(|s| months_before_last > s as usize) {
            continue;
        }
        let keys: Vec<&Key> = KEYS
            .iter()
            .filter(|k| {
                k.feature == f.name
                    && k.weight > 0
                    && k.first_months.is_none_or(|n| index < n as usize)
            })
            .collect();
        if keys.is_empty() {
            continue;
        }
        let expected = month_total * f.share / total_share * (1.0 + f.trend).powf(offset);
        let weights: Vec<f64> = month.iter_days().map(|d| f.rhythm.day_weight(d)).collect();
        let weight_sum: f64 = weights.iter().sum();
        let ctx = Ctx {
            feature: f,
            keys: &keys,
            window,
            month_index: index,
            months: spec.months,
        };
        for (day, w) in month.iter_days().zip(&weights) {
            if midnight(day) > spec.now {
                break;
            }
            let mut rng = Rng::stream(
                spec.seed,
                &[month_key(month), fi as u64, day.ordinal() as u64],
            );
            match f.kind {
                Kind::NightlyRows {
                    rows,
                    requests,
                    job,
                } => {
                    for shard in 0..rows {
                        ctx.nightly_row(&mut rng, day, (shard, rows), requests, job, &mut drafts);
                    }
                }
                Kind::Calls | Kind::Workflows { .. } => {
                    let spike = if f.team == SPIKE_TEAM
                        && index == spike_index
                        && SPIKE_DAYS.contains(&day.day())
                    {
                        SPIKE_FACTOR
                    } else {
                        1.0
                    };
                    let n = expected * w / weight_sum * spike * rng.range_f64(0.85, 1.15);
                    let n = (n + rng.f64()).floor() as u64;
                    let mut made = 0;
                    while made < n {
                        made += match f.kind {
                            Kind::Workflows { tool } => {
                                workflow_counters[fi] += 1;
                                ctx.workflow(
                                    &mut rng,
                                    day,
                                    tool,
                                    workflow_counters[fi],
                                    &mut drafts,
                                )
                            }
                            _ => ctx.call(&mut rng, day, &mut drafts),
                        };
                    }
                }
            }
        }
    }

    // Number the month's events in time order; generation order breaks ties.
    drafts.sort_by_key(|e| e.timestamp);
    for (n, e) in drafts.iter_mut().enumerate() {
        e.id = format!("demo-{month}-{:06}", n + 1);
    }
    drafts
}

/// What one feature's events of one month are generated from.
struct Ctx<'a> {
    feature: &'a Feature,
    keys: &'a [&'a Key],
    window: Window,
    month_index: usize,
    months: u32,
}

impl Ctx<'_> {
    fn pick_key(&self, rng: &mut Rng) -> &Key {
        let weights: Vec<u32> = self.keys.iter().map(|k| k.weight).collect();
        self.keys[rng.weighted(&weights)]
    }

    fn pick_model(&self, rng: &mut Rng) -> Model {
        let weights: Vec<u32> = self.feature.models.iter().map(|(_, w)| *w).collect();
        self.feature.models[rng.weighted(&weights)].0
    }

    fn time_of_day(&self, rng: &mut Rng, day: NaiveDate) -> DateTime<Utc> {
        let hour = rng.weighted(self.feature.rhythm.hours()) as i64;
        midnight(day) + Duration::hours(hour) + Duration::milliseconds(rng.below(3_600_000) as i64)
    }

    fn user(&self, rng: &mut Rng) -> Option<String> {
        let (lo, hi) = self.feature.users?;
        // The user base grows over the months; a few users are far more active than the rest.
        let grown = 0.7 + 0.3 * (self.month_index as f64 + 1.0) / f64::from(self.months.max(1));
        let span = f64::from(hi - lo) * grown;
        let id = lo + (span * rng.f64() * rng.f64()) as u32;
        Some(format!("u-{id:04}"))
    }

    fn customer(&self, rng: &mut Rng) -> Option<String> {
        if !self.feature.customers {
            return None;
        }
        let i = ((CUSTOMERS.len() as f64) * rng.f64() * rng.f64()) as usize;
        Some(CUSTOMERS[i.min(CUSTOMERS.len() - 1)].to_owned())
    }

    fn base_event(&self, key: &Key, model: Model, timestamp: DateTime<Utc>) -> UsageEvent {
        let (team, feature, environment, tags) = match key.tagged {
            Tagged::None => (None, None, None, BTreeMap::new()),
            Tagged::Gateway | Tagged::GatewayTeam(_) => {
                let team = match key.tagged {
                    Tagged::GatewayTeam(t) => t,
                    _ => self.feature.team,
                };
                let region = if self.feature.team == "support" {
                    "eu-west-1"
                } else {
                    "us-east-1"
                };
                (
                    Some(team.to_owned()),
                    Some(self.feature.name.to_owned()),
                    Some(key.env.to_owned()),
                    BTreeMap::from([("region".to_owned(), region.to_owned())]),
                )
            }
            Tagged::App(app) => (
                None,
                None,
                None,
                BTreeMap::from([("app".to_owned(), app.to_owned())]),
            ),
        };
        UsageEvent {
            id: String::new(),
            source: SOURCE.to_owned(),
            timestamp,
            provider: model.provider().to_owned(),
            model: model.name().to_owned(),
            api_key: Some(key.id.to_owned()),
            team,
            feature,
            environment,
            user: None,
            customer: None,
            tags,
            tokens: TokenCounts::default(),
            requests: 1,
            service_tier: ServiceTier::Standard,
            outcome: Outcome::Unknown,
            workflow_id: None,
            latency_ms: None,
            reported_cost: None,
        }
    }

    fn tier(&self, rng: &mut Rng) -> ServiceTier {
        let r = rng.f64();
        if r < self.feature.batch {
            ServiceTier::Batch
        } else if r < self.feature.batch + self.feature.flex {
            ServiceTier::Flex
        } else {
            ServiceTier::Standard
        }
    }

    /// Input and output of one call, before caching.
    fn sizes(&self, rng: &mut Rng, model: Model) -> (u64, u64) {
        let f = self.feature;
        let mut input = rng.log_uniform(f.input.0, f.input.1);
        if model == Model::Gemini25Pro && rng.chance(f.long_context) {
            input = rng.range_u64(200_001, 600_000);
        }
        if model == Model::Sonnet35 {
            input = input.min(180_000);
        }
        let output = match model {
            Model::Embedding3Small => 0,
            _ => rng.log_uniform(f.output.0, f.output.1),
        };
        (input, output)
    }

    /// The cache classes of one independent call: anthropic writes its prefix on a miss and
    /// reads it on a hit; openai and gemini cache automatically on hits.
    fn caching(&self, rng: &mut Rng, model: Model, input: u64) -> (u64, u64) {
        let f = self.feature;
        let prefix = (input as f64 * rng.range_f64(f.prefix.0, f.prefix.1)) as u64;
        let r = rng.f64();
        match model {
            // Anthropic caches prefixes of 1,024 tokens or more, when the app asks for it.
            Model::Sonnet35 | Model::Haiku35 if f.cache > 0.0 && prefix >= 1_024 => {
                if r < f.cache {
                    (prefix, 0)
                } else if r < f.cache + (1.0 - f.cache) * 0.6 {
                    (0, prefix)
                } else {
                    (0, 0)
                }
            }
            Model::Gpt4o | Model::Gpt4oMini | Model::O3Mini if r < f.cache && input >= 1_024 => {
                ((prefix / 128 * 128).max(1_024).min(input), 0)
            }
            Model::Gemini25Pro if r < f.cache => (prefix, 0),
            _ => (0, 0),
        }
    }

    fn reasoning(rng: &mut Rng, model: Model, output: u64) -> u64 {
        let share = match model {
            Model::O3Mini => rng.range_f64(0.4, 0.8),
            Model::Gemini25Pro => rng.range_f64(0.15, 0.45),
            _ => 0.0,
        };
        (output as f64 * share) as u64
    }

    fn latency(rng: &mut Rng, model: Model, tokens: &TokenCounts) -> u64 {
        let (first, per_token) = model.speed();
        let ms = first
            + per_token * tokens.output as f64
            + 0.004 * tokens.uncached_input() as f64
            + 0.0005 * tokens.cached_input as f64;
        (ms * rng.range_f64(0.8, 1.35)) as u64
    }

    fn outcome(&self, rng: &mut Rng, key: &Key) -> Outcome {
        let r = rng.f64();
        if !key.outcomes && r < 0.7 {
            return Outcome::Unknown;
        }
        let r = rng.f64();
        let failure = self.feature.failure;
        if r < failure {
            Outcome::Failure
        } else if r < failure + 0.03 {
            Outcome::Retry
        } else if r < failure + 0.06 {
            Outcome::Unknown
        } else {
            Outcome::Success
        }
    }

    /// One independent call (and, when it asks for a retry, the retried call). Answers how
    /// many calls it generated, whether or not they fit the window.
    fn call(&self, rng: &mut Rng, day: NaiveDate, out: &mut Vec<UsageEvent>) -> u64 {
        let key = self.pick_key(rng);
        let model = self.pick_model(rng);
        let t = self.time_of_day(rng, day);
        let (input, mut output) = self.sizes(rng, model);
        let (cached, written) = self.caching(rng, model, input);
        let outcome = self.outcome(rng, key);
        let tier = self.tier(rng);
        let timed_out = outcome == Outcome::Failure && rng.chance(0.3);
        if outcome == Outcome::Failure {
            output = (output as f64 * rng.range_f64(0.0, 0.2)) as u64;
        }
        let reasoning = Self::reasoning(rng, model, output);
        let tokens = TokenCounts::new(input, cached, written, output, reasoning)
            .expect("generated token counts keep their invariants");
        let latency = if timed_out {
            30_000 + rng.below(500)
        } else {
            Self::latency(rng, model, &tokens)
        };
        let mut event = self.base_event(key, model, t);
        event.user = self.user(rng);
        event.customer = self.customer(rng);
        event.tokens = tokens;
        Self::billable_extras(model, &mut event.tokens);
        event.service_tier = tier;
        event.outcome = outcome;
        event.latency_ms = (tier != ServiceTier::Batch).then_some(latency);
        let mut made = 1;
        if outcome == Outcome::Retry {
            // The retried call: same prompt, a little later, and it worked.
            let mut again = event.clone();
            again.timestamp = t + Duration::milliseconds((latency + 500 + rng.below(4_000)) as i64);
            let output =
                rng.log_uniform(self.feature.output.0.max(1), self.feature.output.1.max(1));
            let output = if model == Model::Embedding3Small {
                0
            } else {
                output
            };
            again.tokens = TokenCounts::new(
                input,
                cached.max(written),
                0,
                output,
                Self::reasoning(rng, model, output),
            )
            .expect("generated token counts keep their invariants");
            again.outcome = Outcome::Success;
            again.latency_ms = event
                .latency_ms
                .map(|_| Self::latency(rng, model, &again.tokens));
            if self.window.fits(again.timestamp) {
                out.push(again);
            }
            made += 1;
        }
        if self.window.fits(t) {
            out.push(event);
        }
        made
    }

    /// Anthropic's billable extras, so that the demo prices them as invoices do: part of the
    /// cache writes kept for an hour, and web searches on some calls. Derived from the counts
    /// already drawn rather than from new draws, so that every other generated figure stays
    /// as it was.
    fn billable_extras(model: Model, tokens: &mut TokenCounts) {
        if model.provider() != "anthropic" {
            return;
        }
        if tokens.cache_write > 0 && tokens.input.is_multiple_of(3) {
            tokens.cache_write_1h = tokens.cache_write / 2;
        }
        if tokens.input.is_multiple_of(4) {
            tokens.web_search = 1 + tokens.input % 3;
        }
    }

    /// One agent run: 3–9 calls, each step's input being the context so far (system prompt,
    /// earlier outputs, tool results), mostly read from the cache. Answers the calls generated.
    fn workflow(
        &self,
        rng: &mut Rng,
        day: NaiveDate,
        tool: (u64, u64),
        n: u32,
        out: &mut Vec<UsageEvent>,
    ) -> u64 {
        const STEP_WEIGHTS: [u32; 7] = [10, 18, 20, 18, 14, 10, 10];
        let steps = 3 + rng.weighted(&STEP_WEIGHTS);
        let key = self.pick_key(rng);
        let model = self.pick_model(rng);
        let user = self.user(rng);
        let customer = self.customer(rng);
        let tier = self.tier(rng);
        let fails = rng.chance(self.feature.failure);
        let workflow_id = format!("wf-{}-{n}", self.feature.name);
        let mut t = self.time_of_day(rng, day);
        let mut context = rng.log_uniform(self.feature.input.0, self.feature.input.1);
        let system = (context as f64 * rng.range_f64(0.5, 0.8)) as u64;
        let mut previous_input = 0u64;
        let mut made = 0;
        let mut step = 0;
        while step < steps {
            let last = step + 1 == steps;
            let input = context.min(180_000);
            let (cached, written) = match model {
                Model::Sonnet35 | Model::Haiku35 => {
                    if step == 0 {
                        (0, system)
                    } else {
                        (previous_input, input - previous_input)
                    }
                }
                _ if previous_input >= 1_024 => (previous_input / 128 * 128, 0),
                _ => (0, 0),
            };
            let retry = !last && rng.chance(0.04);
            let outcome = if last && fails {
                Outcome::Failure
            } else if retry {
                Outcome::Retry
            } else {
                Outcome::Success
            };
            let mut output = rng.log_uniform(self.feature.output.0, self.feature.output.1);
            if outcome == Outcome::Failure {
                output = (output as f64 * rng.range_f64(0.0, 0.3)) as u64;
            }
            let reasoning = Self::reasoning(rng, model, output);
            let tokens = TokenCounts::new(input, cached, written, output, reasoning)
                .expect("generated token counts keep their invariants");
            let latency = Self::latency(rng, model, &tokens);
            let mut event = self.base_event(key, model, t);
            event.user.clone_from(&user);
            event.customer.clone_from(&customer);
            event.tokens = tokens;
            event.service_tier = tier;
            event.outcome = outcome;
            event.workflow_id = Some(workflow_id.clone());
            event.latency_ms = Some(latency);
            if self.window.fits(t) {
                out.push(event);
            }
            made += 1;
            t += Duration::milliseconds((latency + 200 + rng.below(3_000)) as i64);
            if retry {
                // The same step again, on the same context.
                continue;
            }
            previous_input = input;
            context = input + output + rng.log_uniform(tool.0, tool.1);
            step += 1;
        }
        made
    }

    /// One pre-aggregated row of a nightly batch job.
    fn nightly_row(
        &self,
        rng: &mut Rng,
        day: NaiveDate,
        (shard, rows): (u32, u32),
        requests: (u64, u64),
        job: &str,
        out: &mut Vec<UsageEvent>,
    ) {
        let f = self.feature;
        let key = self.pick_key(rng);
        let model = self.pick_model(rng);
        let grown = MONTHLY_GROWTH.powi(self.month_index as i32);
        let requests = (rng.range_u64(requests.0, requests.1) as f64 * grown) as u64;
        let input = requests * rng.range_u64(f.input.0, f.input.1);
        let output = match model {
            Model::Embedding3Small => 0,
            _ => requests * rng.range_u64(f.output.0, f.output.1),
        };
        let t = midnight(day)
            + Duration::hours(1 + 2 * i64::from(shard))
            + Duration::milliseconds(rng.below(3_600_000) as i64);
        let mut event = self.base_event(key, model, t);
        event.tags.insert("job".to_owned(), job.to_owned());
        if rows > 1 {
            event.tags.insert("shard".to_owned(), shard.to_string());
        }
        event.tokens = TokenCounts::new(input, 0, 0, output, 0)
            .expect("generated token counts keep their invariants");
        event.requests = requests.max(1);
        event.service_tier = ServiceTier::Batch;
        event.outcome = Outcome::Success;
        if self.window.fits(t) {
            out.push(event);
        }
    }
}
