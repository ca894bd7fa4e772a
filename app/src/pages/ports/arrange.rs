//! Rearranging panels and entries, as pure functions over the page's groups: drag and drop with the
//! pointer, the keyboard moves and the sort buttons all compute the new arrangement here, and
//! [`commit`] says which one request saves it.

use crate::hosts::HostGroup;

/// Where an entry is: panel index and index inside it.
pub fn locate(groups: &[HostGroup], id: i64) -> Option<(usize, usize)> {
    groups
        .iter()
        .enumerate()
        .find_map(|(g, h)| h.entries.iter().position(|e| e.id == id).map(|i| (g, i)))
}

/// Puts entry `id` into panel `to` at `index` (clamped). The panel index is taken before removal.
pub fn place_port(groups: &mut [HostGroup], id: i64, to: usize, index: usize) {
    let Some((g, i)) = locate(groups, id) else {
        return;
    };
    if to >= groups.len() {
        return;
    }
    let entry = groups[g].entries.remove(i);
    let list = &mut groups[to].entries;
    list.insert(index.min(list.len()), entry);
}

/// Puts panel `from` at `to` (clamped).
pub fn place_host(groups: &mut Vec<HostGroup>, from: usize, to: usize) {
    if from >= groups.len() {
        return;
    }
    let g = groups.remove(from);
    groups.insert(to.min(groups.len()), g);
}

/// Moves an entry one place up (`-1`) or down (`1`) in its panel; false at either end.
pub fn step_port(groups: &mut [HostGroup], id: i64, delta: isize) -> bool {
    let Some((g, i)) = locate(groups, id) else {
        return false;
    };
    let j = i as isize + delta;
    if j < 0 || j as usize >= groups[g].entries.len() {
        return false;
    }
    groups[g].entries.swap(i, j as usize);
    true
}

/// Moves an entry to the end of the previous (`-1`) or next (`1`) panel; false when there is none.
pub fn hop_port(groups: &mut [HostGroup], id: i64, delta: isize) -> bool {
    let Some((g, _)) = locate(groups, id) else {
        return false;
    };
    let to = g as isize + delta;
    if to < 0 || to as usize >= groups.len() {
        return false;
    }
    place_port(groups, id, to as usize, usize::MAX);
    true
}

/// The one request that saves a rearrangement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Commit {
    Nothing,
    Hosts(Vec<String>),
    Ports {
        host: String,
        ids: Vec<i64>,
    },
    Move {
        id: i64,
        host: String,
        position: usize,
    },
}

/// Compares the arrangement before and after a move of `dragged` (an entry id, or a panel).
pub fn commit(before: &[HostGroup], after: &[HostGroup], dragged: &Dragged) -> Commit {
    match dragged {
        Dragged::Host(_) => {
            let order = |g: &[HostGroup]| g.iter().map(|h| h.address.clone()).collect::<Vec<_>>();
            if order(before) == order(after) {
                Commit::Nothing
            } else {
                Commit::Hosts(order(after))
            }
        }
        Dragged::Port(id) => {
            let (Some((gb, ib)), Some((ga, ia))) = (locate(before, *id), locate(after, *id)) else {
                return Commit::Nothing;
            };
            let host = after[ga].address.clone();
            if before[gb].address != host {
                Commit::Move {
                    id: *id,
                    host,
                    position: ia,
                }
            } else if ib == ia {
                Commit::Nothing
            } else {
                Commit::Ports {
                    host,
                    ids: after[ga].entries.iter().map(|e| e.id).collect(),
                }
            }
        }
    }
}

/// What is being moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dragged {
    Port(i64),
    Host(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosts::{sorted_ids, SortKey};
    use crate::model::PortEntry;
    use crate::ports::Protocol;

    fn entry(id: i64, host: &str, n: i64, p: Protocol, d: &str) -> PortEntry {
        crate::model::manual_entry(id, host, n, p, d)
    }

    fn groups() -> Vec<HostGroup> {
        vec![
            HostGroup {
                address: "a".into(),
                nickname: String::new(),
                pinned: false,
                entries: vec![
                    entry(1, "a", 80, Protocol::Tcp, "web"),
                    entry(2, "a", 53, Protocol::Udp, "DNS"),
                    entry(3, "a", 22, Protocol::Tcp, "ssh"),
                ],
                total: 3,
                hidden: 0,
                manual: 3,
                reported: 0,
                owners: vec![],
            },
            HostGroup {
                address: "b".into(),
                nickname: String::new(),
                pinned: true,
                entries: vec![],
                total: 0,
                hidden: 0,
                manual: 0,
                reported: 0,
                owners: vec![],
            },
        ]
    }

    #[test]
    fn keyboard_steps_and_hops() {
        let before = groups();
        let mut g = before.clone();
        assert!(!step_port(&mut g, 1, -1));
        assert!(step_port(&mut g, 1, 1));
        assert_eq!(
            commit(&before, &g, &Dragged::Port(1)),
            Commit::Ports {
                host: "a".into(),
                ids: vec![2, 1, 3]
            }
        );
        assert!(hop_port(&mut g, 1, 1));
        assert!(!hop_port(&mut g, 1, 1));
        assert_eq!(
            commit(&before, &g, &Dragged::Port(1)),
            Commit::Move {
                id: 1,
                host: "b".into(),
                position: 0
            }
        );
        assert_eq!(commit(&before, &before, &Dragged::Port(1)), Commit::Nothing);
    }

    #[test]
    fn panels_move_and_panels_sort() {
        let before = groups();
        let mut g = before.clone();
        place_host(&mut g, 1, 0);
        assert_eq!(
            commit(&before, &g, &Dragged::Host("b".into())),
            Commit::Hosts(vec!["b".into(), "a".into()])
        );
        let e = &before[0].entries;
        assert_eq!(sorted_ids(e, SortKey::Number, true), vec![3, 2, 1]);
        assert_eq!(sorted_ids(e, SortKey::Number, false), vec![1, 2, 3]);
        assert_eq!(sorted_ids(e, SortKey::Protocol, true), vec![3, 1, 2]);
        assert_eq!(sorted_ids(e, SortKey::Description, true), vec![2, 3, 1]);
    }
}
