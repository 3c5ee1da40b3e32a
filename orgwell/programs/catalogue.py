"""The built-in library: real CE courses, OrgWell's own modules and ready program templates.

Course facts (title, presenter, course number, level, CE hours) come from PhysicalTherapy.com's
burnout catalogue; every description here is OrgWell's own wording. The page the facts came
from names no course addresses, so course modules link to the provider's catalogue, where
the course number finds the course. Templates are plain data: `library.copy_template` turns one
into an organisation's program (a published version 1) that leaders can then adapt.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

PROVIDER = "PhysicalTherapy.com"
PROVIDER_CATALOGUE_URL = "https://www.physicaltherapy.com/"


def _course(number: str, title: str, presenter: str, level: str, summary: str) -> dict:
    return {
        "kind": "course",
        "title": title,
        "summary": summary,
        "provider": PROVIDER,
        "course_number": number,
        "url": PROVIDER_CATALOGUE_URL,
        "ce_hours": Decimal("2"),
        "level": level,
        "presenter": presenter,
        "estimated_minutes": 120,
    }


# key -> module fields (the Module columns, without offsets: templates place them).
MODULES: dict[str, dict] = {
    "course-5033": _course(
        "5033", "Burnout Prehab and Rehab: Strategies for Resilience",
        "Lisa Flexner, PT, DPT, FAAOMPT", "Intermediate",
        "Therapists spend their days preventing and treating injury in others. This recorded "
        "webinar turns the same thinking on ourselves: how to spot burnout early, practical "
        "steps that lower its symptoms, and what a practice can do so resilience does not rest "
        "on each person alone.",
    ),
    "course-3902": _course(
        "3902", "Mindfulness: Beyond Guided Meditation", "Jennifer Stone, PT, DPT, OCS, PHC, "
        "TPS, HLC", "Intermediate",
        "Mindfulness is more than a recorded meditation. This webinar covers where the practice "
        "comes from, what the research says, and a set of short mindfulness tools you can use "
        "in treatment sessions, especially with people in persistent pain, and for yourself.",
    ),
    "course-3652": _course(
        "3652", "From Survive to Thrive at Work: An Evidence-Based Approach to Healthcare "
        "Burnout", "Erika del Pozo, MOT, OTR/L", "Introductory",
        "A broad look at burnout in healthcare: what drives it directly and indirectly, what it "
        "costs people and teams, and interventions for individuals, supervisors and managers "
        "that improve coping, communication and the energy of a team.",
    ),
    "course-4695": _course(
        "4695", "Managing Pain and Stress for Clinicians as Well as Their Patients",
        "Ann Marie Amber Asselin, PT", "Introductory",
        "Evidence-based self-regulation techniques that work for patients and for the "
        "clinician treating them: acupressure, breathing regulation, meditation and Chi Kung.",
    ),
    "course-3939": _course(
        "3939", "Beating Burnout and Building Resilience: Strategies to Succeed",
        "Amy M. Schlessman, PT, DPT, DHS", "Introductory",
        "How burnout was first described, why it is common among physical therapists, the signs "
        "to watch for, its effect on patient care, and concrete strategies that prevent and "
        "reduce it while building resilience.",
    ),
    "compassion-reading": {
        "kind": "reading",
        "title": "Compassion, not empathy overload",
        "summary": "Why feeling every patient's pain wears you out, and how compassion lets "
        "you care deeply without carrying it all home.",
        "estimated_minutes": 10,
        "prompt": "Think of a patient this week whose distress stayed with you after the "
        "session. What did you feel, and what did you do? What would a compassionate "
        "response with a clear boundary have looked like?",
        "body_markdown": """\
## Two ways of caring

**Empathy** is *feeling with* a patient. When someone describes months of pain or fear of
never running again, part of you feels it too. That resonance builds trust quickly, and it is
a real strength of good clinicians.

The catch: when empathy is all we use, we take on a little of every patient's distress, ten
to fifteen patients a day. Over weeks this turns into **empathic distress**: feeling drained,
dreading certain patients, going numb to protect yourself. That is one of the roads into
burnout.

**Compassion** is *understanding plus action*. You notice the suffering, you understand it,
and you turn towards what you can do about it. The feeling is warm and motivating rather than
heavy, and there is a **boundary**: you stay with the patient's experience without taking it
on as your own. Research on clinicians suggests compassion is the more sustainable of the two.

## What it looks like in the clinic

- **The patient in tears about a slow recovery.** Empathy alone: you feel their
  hopelessness and leave the session flat. Compassion: "This has been really hard. Let's look at
  what has changed since week one, and pick one goal for the next two weeks."
- **The angry patient whose claim was denied.** You do not have to absorb the anger. Name it
  ("You're frustrated, and that makes sense"), then act: the letter template, the call to the
  front desk, the exercise plan that does not depend on the claim.
- **The end of a heavy day.** Notice which patient is still "with you" on the drive home. A
  short closing ritual (washing your hands slowly, one breath at the door, writing tomorrow's
  first task) marks the boundary between their story and your evening.

## Try this week

1. After one difficult session, ask yourself: *What did I feel? What did I do?*
2. Swap one "I know exactly how you feel" for "I can see how hard this is. Here's what we'll
   do next."
3. Pick a small end-of-day ritual and keep it for five days.

Compassion is a skill, not a personality trait: it gets easier with practice.
""",
    },
    "compassion-reflection": {
        "kind": "reflection",
        "title": "Reflection: where did I feel with, where did I act?",
        "summary": "A few private sentences about one session this week. Only you can read "
        "what you write.",
        "estimated_minutes": 10,
        "prompt": "Describe one moment this week when a patient's distress affected you. What "
        "did you feel in your body? What did you do next? If the same moment happened "
        "tomorrow, what would a compassionate action with a boundary be?",
    },
    "breathing-practice": {
        "kind": "practice",
        "title": "Daily practice: a three-minute breathing reset",
        "summary": "A few minutes a day of slow breathing or mindful attention, logged here so "
        "you can see the habit grow.",
        "estimated_minutes": 3,
        "practice_days_per_week": 5,
        "practice_minutes": 3,
        "body_markdown": """\
Once a day (before your first patient, at lunch or in the car before you drive home):

1. Sit or stand comfortably and let your shoulders drop.
2. Breathe in through the nose for about four counts, out slowly for about six.
3. When your mind wanders to the schedule, notice it and come back to the breath.
4. After three minutes, notice one thing you can see, hear and feel.

Log each day you practise. Five days a week is the target, but every day counts.
""",
    },
    "micro-breaks": {
        "kind": "reading",
        "title": "Micro-breaks between patients",
        "summary": "Thirty to ninety seconds between sessions that protect your energy for the "
        "last patient of the day.",
        "estimated_minutes": 8,
        "prompt": "Which micro-break will you try, and at which point in your day?",
        "body_markdown": """\
A full schedule rarely allows a real break, but almost every day has gaps of a minute or two:
the patient changing, the walk back from the gym, the wait for the next arrival. Used on
purpose, these gaps lower the build-up of tension over a day.

**Pick one or two and attach them to something you already do:**

- **Reset breath** while you wash your hands: two slow exhales, longer than the inhales.
- **Shoulder and jaw check** when you sit to document: drop the shoulders, unclench the jaw.
- **Look far away** for twenty seconds after screen work: a window, the end of the corridor.
- **Sip of water** every time you walk back to the front desk.
- **One-line close**: before opening the next chart, write one word about how the last
  session went, then let it go.

Micro-breaks work best as a team habit. If a colleague is running late, covering one transfer
so they get their ninety seconds is a small act of team resilience.
""",
    },
    "closing-reflection": {
        "kind": "reflection",
        "title": "Reflection: what I keep, what I let go",
        "summary": "Looking back over the program: what helped, and one habit to keep.",
        "estimated_minutes": 10,
        "prompt": "Looking back over the last weeks: which idea or habit made the most "
        "difference? What will you keep doing, and what will you stop doing? What support do "
        "you need from your team to keep it going?",
    },
    "leader-workload": {
        "kind": "reading",
        "title": "Workload and psychological safety: a clinic leader's checklist",
        "summary": "Burnout is mostly about the job, not the person. Five levers a clinic "
        "leader controls.",
        "estimated_minutes": 12,
        "prompt": "Which of the five levers is weakest in your clinic right now, and what is "
        "one change you could test in the next month?",
        "body_markdown": """\
Burnout grows where demands stay high and control, support and recognition stay low.
Resilience training helps individuals, but leaders change the conditions. Five levers:

1. **Caseload and schedule.** Look at double-books, back-to-back evaluations and
   documentation time. Is there protected time to write notes, or does it spill into evenings?
2. **Control.** Can clinicians shape their own schedule, choose continuing education, or
   say no to an extra patient without guilt?
3. **Psychological safety.** Can someone say "I'm struggling" or "I made a mistake" in a
   team meeting without cost? Leaders set this by going first: name your own mistakes.
4. **Recognition.** Specific thanks ("the way you handled Mrs. K's discharge") beat general
   praise, and cost nothing.
5. **Fairness.** Are difficult patients, late slots and admin tasks shared evenly?

**This month:** ask your team which of these five weighs most, pick one, and agree on a small
experiment with a review date. Share what you learn at the next team meeting.
""",
    },
    "leader-reflection": {
        "kind": "reflection",
        "title": "Reflection: one workload change",
        "summary": "Plan one change to your team's working conditions, privately first.",
        "estimated_minutes": 10,
        "prompt": "Describe one change to workload, control or recognition you will test with "
        "your team. What would tell you after a month that it helped?",
    },
}


@dataclass(frozen=True)
class Step:
    """A module placed in a template: when it is released and due, and whether it is required."""

    module: str
    release: int
    due: int
    required: bool = True


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    description: str
    audience: str
    weeks: int
    steps: list[Step] = field(default_factory=list)
    self_enroll: bool = False
    reminder_days_before: tuple[int, ...] = (3, 0)

    @property
    def modules(self) -> list[tuple[Step, dict]]:
        return [(step, MODULES[step.module]) for step in self.steps]

    @property
    def ce_hours(self) -> Decimal:
        return sum(
            (MODULES[s.module].get("ce_hours") or Decimal(0) for s in self.steps), Decimal(0)
        )


TEMPLATES: list[Template] = [
    Template(
        key="burnout-prehab",
        name="Burnout prehab",
        description="Six weeks for the whole team: one accredited course on burnout "
        "prevention, a short reading on compassion versus empathy, a daily breathing "
        "habit, micro-breaks between patients and two private reflections. About 30 minutes "
        "a week plus the course.",
        audience="All clinical and front-desk staff",
        weeks=6,
        steps=[
            Step("course-5033", 0, 14),
            Step("compassion-reading", 0, 7),
            Step("breathing-practice", 7, 35),
            Step("compassion-reflection", 7, 14),
            Step("micro-breaks", 14, 21),
            Step("course-3902", 21, 35, required=False),
            Step("course-3939", 28, 42, required=False),
            Step("closing-reflection", 35, 42),
        ],
    ),
    Template(
        key="leaders-track",
        name="Leading a resilient clinic",
        description="Four weeks for owners, clinic managers and team leads: what drives "
        "burnout at team level, the levers a leader controls, and one workload change to "
        "test with your team.",
        audience="Owners, clinic managers and team leads",
        weeks=4,
        steps=[
            Step("course-3652", 0, 14),
            Step("leader-workload", 0, 7),
            Step("leader-reflection", 7, 14),
            Step("compassion-reading", 14, 21),
            Step("course-4695", 14, 28, required=False),
        ],
    ),
    Template(
        key="stress-reset",
        name="Two-week stress reset",
        description="A short program anyone can join on their own: a daily breathing "
        "practice, micro-breaks and one course on managing stress, at your own pace.",
        audience="Anyone who wants a reset",
        weeks=2,
        self_enroll=True,
        steps=[
            Step("breathing-practice", 0, 14),
            Step("micro-breaks", 0, 7),
            Step("course-4695", 3, 14, required=False),
        ],
    ),
]

TEMPLATES_BY_KEY = {t.key: t for t in TEMPLATES}
