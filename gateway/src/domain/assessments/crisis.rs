//! What a person sees when PHQ-9 item 9 is answered above 0: support, at once, whatever the
//! total. The resources are the original service's; 988 and the Crisis Text Line serve the
//! United States, so the third entry points to crisis centres in every other country.

use serde::Serialize;

/// One place to get help.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct CrisisResource {
    pub name: &'static str,
    pub contact: &'static str,
    pub description: &'static str,
}

/// The contract's crisis object (`result.crisis`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CrisisSupport {
    pub alert: bool,
    pub title: &'static str,
    pub message: &'static str,
    pub resources: &'static [CrisisResource],
}

const RESOURCES: &[CrisisResource] = &[
    CrisisResource {
        name: "988 Suicide & Crisis Lifeline",
        contact: "Call or text 988",
        description: "24/7 free and confidential support (United States)",
    },
    CrisisResource {
        name: "Crisis Text Line",
        contact: "Text HOME to 741741",
        description: "Free crisis counseling via text (United States)",
    },
    CrisisResource {
        name: "International Association for Suicide Prevention",
        contact: "https://www.iasp.info/resources/Crisis_Centres/",
        description: "Find a crisis centre in your country",
    },
];

/// The crisis object attached to a PHQ-9 result whose item 9 is above 0.
pub fn crisis_support() -> CrisisSupport {
    CrisisSupport {
        alert: true,
        title: "Immediate Support Available",
        message: "You mentioned having thoughts of being better off dead or of hurting yourself. You're not alone, and help is available right now. If you are in immediate danger, please call your local emergency number.",
        resources: RESOURCES,
    }
}
