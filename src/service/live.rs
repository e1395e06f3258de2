//! New leads as they are committed, told to whoever listens in this process (the console's live
//! inbox, `GET /console/events`). A bounded broadcast: publishing never waits, and a listener
//! that falls behind skips what it missed (the inbox reloads its first page on any event).

use tokio::sync::broadcast;
use uuid::Uuid;

/// Events kept for a listener that has not read them yet.
const BACKLOG: usize = 256;

/// A lead just stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewLead {
    pub account_id: Uuid,
    pub client_id: Uuid,
}

/// The broadcast of new leads.
#[derive(Debug, Clone)]
pub struct LeadEvents(broadcast::Sender<NewLead>);

impl Default for LeadEvents {
    fn default() -> Self {
        LeadEvents(broadcast::channel(BACKLOG).0)
    }
}

impl LeadEvents {
    /// Tell the listeners about a new client of an account (nobody listening is fine).
    pub fn publish(&self, account_id: Uuid, client_id: Uuid) {
        let _ = self.0.send(NewLead {
            account_id,
            client_id,
        });
    }

    /// Listen from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<NewLead> {
        self.0.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_listener_hears_a_lead_published_after_it_subscribed() {
        let events = LeadEvents::default();
        events.publish(Uuid::nil(), Uuid::nil());
        let mut listener = events.subscribe();
        let (account_id, client_id) = (Uuid::from_u128(1), Uuid::from_u128(2));
        events.publish(account_id, client_id);
        assert_eq!(
            listener.recv().await.expect("heard"),
            NewLead {
                account_id,
                client_id
            }
        );
    }
}
