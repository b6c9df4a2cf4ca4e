//! WRONGTYPE and type-independence of this family's commands, checked
//! in-process against a list value (the list commands live elsewhere, so
//! the protocol tests cannot always create one).

use bytes::Bytes;

use crate::command::{table, Ctx, Handler};
use crate::errors::WRONGTYPE;
use crate::keyspace::{Keyspace, Value};
use crate::resp::Frame;
use crate::types::list::List;

fn run(ks: &mut Keyspace, line: &str) -> Frame {
    let args: Vec<Bytes> = line
        .split(' ')
        .map(|w| Bytes::copy_from_slice(w.as_bytes()))
        .collect();
    let r = table().resolve(&args).expect("known command");
    let Handler::Data(f) = r.spec.handler else {
        panic!("{line} is not a keyspace command");
    };
    ks.seq += 1;
    let mut ctx = Ctx::for_write(ks, 0, 1_000_000, 7, false);
    f(&mut ctx, &args)
}

fn with_list() -> Keyspace {
    let mut ks = Keyspace::new(16);
    let mut l = List::new();
    l.push_back(Bytes::from_static(b"x"));
    let mut ctx = Ctx::for_write(&mut ks, 0, 1_000_000, 0, false);
    ctx.set(Bytes::from_static(b"l"), Value::List(Box::new(l)));
    ks
}

#[test]
fn string_commands_refuse_other_types() {
    for line in [
        "GET l",
        "SET l v GET",
        "SET l v IFEQ x",
        "GETSET l v",
        "GETDEL l",
        "GETEX l PERSIST",
        "APPEND l v",
        "STRLEN l",
        "GETRANGE l 0 1",
        "SUBSTR l 0 1",
        "SETRANGE l 0 v",
        "SETRANGE l 0 ",
        "INCR l",
        "DECR l",
        "INCRBY l 2",
        "DECRBY l 2",
        "INCRBYFLOAT l 1.5",
    ] {
        let mut ks = with_list();
        assert_eq!(run(&mut ks, line), Frame::Error(WRONGTYPE.into()), "{line}");
        assert_eq!(
            run(&mut ks, "TYPE l"),
            Frame::Simple("list".into()),
            "{line}"
        );
    }
    let mut ks = with_list();
    assert_eq!(
        run(&mut ks, "LCS l x"),
        Frame::Error("ERR The specified keys must contain string values".into())
    );
    assert_eq!(
        run(&mut ks, "MGET l nokey"),
        Frame::Array(vec![Frame::Null, Frame::Null])
    );
}

#[test]
fn key_commands_work_on_any_type() {
    let mut ks = with_list();
    assert_eq!(run(&mut ks, "SET l v"), Frame::ok());
    assert_eq!(run(&mut ks, "TYPE l"), Frame::Simple("string".into()));
    let mut ks = with_list();
    assert_eq!(run(&mut ks, "SETNX l v"), Frame::Integer(0));
    assert_eq!(run(&mut ks, "EXPIRE l 100"), Frame::Integer(1));
    assert_eq!(run(&mut ks, "TTL l"), Frame::Integer(100));
    assert_eq!(run(&mut ks, "RENAME l m"), Frame::ok());
    assert_eq!(run(&mut ks, "COPY m n"), Frame::Integer(1));
    assert_eq!(run(&mut ks, "TTL n"), Frame::Integer(100));
    assert_eq!(run(&mut ks, "OBJECT ENCODING n"), Frame::bulk("listpack"));
    assert_eq!(run(&mut ks, "MOVE n 1"), Frame::Integer(1));
    assert_eq!(
        run(&mut ks, "SCAN 0 TYPE list"),
        Frame::Array(vec![Frame::bulk("0"), Frame::Array(vec![Frame::bulk("m")]),])
    );
    assert_eq!(
        run(&mut ks, "SCAN 0 TYPE string"),
        Frame::Array(vec![Frame::bulk("0"), Frame::Array(vec![]),])
    );
    assert_eq!(run(&mut ks, "DEL m"), Frame::Integer(1));
}
