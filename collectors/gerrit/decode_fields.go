package gerrit

// The readers of the ChangeInfo members codepace reads, one per struct:
// their member names are the structs' json tags.

var changeFields = newFields("project", "branch", "change_id", "subject", "status", "created", "updated",
	"submitted", "insertions", "deletions", "_number", "owner", "work_in_progress", "labels", "messages",
	"current_revision", "revisions", "_more_changes")

// change reads one ChangeInfo.
func (s *scanner) change(ci *changeInfo) error {
	ok, err := s.object()
	for first := true; ok && err == nil; first = false {
		var key []byte
		if key, ok, err = s.member(first); !ok || err != nil {
			break
		}
		switch changeFields.find(key) {
		case "project":
			err = s.keyName(&ci.Project)
		case "branch":
			err = s.string(&ci.Branch)
		case "change_id":
			err = s.string(&ci.ChangeID)
		case "subject":
			err = s.string(&ci.Subject)
		case "status":
			err = s.string(&ci.Status)
		case "created":
			err = s.string(&ci.Created)
		case "updated":
			err = s.string(&ci.Updated)
		case "submitted":
			err = s.string(&ci.Submitted)
		case "insertions":
			err = s.int64(&ci.Insertions)
		case "deletions":
			err = s.int64(&ci.Deletions)
		case "_number":
			err = s.int64(&ci.Number)
		case "owner":
			err = s.account(&ci.Owner)
		case "work_in_progress":
			err = s.bool(&ci.WorkInProgress)
		case "labels":
			err = s.labels(&ci.Labels)
		case "messages":
			err = list(s, &ci.Messages, (*scanner).message)
		case "current_revision":
			err = s.string(&ci.CurrentRevision)
		case "revisions":
			err = s.revisions(&ci.Revisions)
		case "_more_changes":
			err = s.bool(&ci.MoreChanges)
		default:
			err = s.skip()
		}
	}
	return err
}

// keyName reads a string that is part of a key; null leaves it as it was
// but counts as exact, as keyName.UnmarshalJSON did with encoding/json.
func (s *scanner) keyName(k *keyName) error {
	switch s.peek() {
	case '"':
		raw, plain, err := s.str()
		if err == nil {
			k.s, k.exact = text(raw, plain), plain || exactString(raw)
		}
		return err
	case 'n':
		k.exact = true
		return s.literal("null")
	}
	return s.mismatch("string")
}

var accountFields = newFields("_account_id", "name", "email", "username", "tags")

// accountMember reads one member of an AccountInfo; false when key is not
// one.
func (s *scanner) accountMember(a *accountInfo, name string) (bool, error) {
	switch name {
	case "_account_id":
		return true, s.int64(&a.ID)
	case "name":
		return true, s.string(&a.Name)
	case "email":
		return true, s.string(&a.Email)
	case "username":
		return true, s.string(&a.Username)
	case "tags":
		return true, list(s, &a.Tags, (*scanner).string)
	}
	return false, nil
}

// account reads an AccountInfo.
func (s *scanner) account(a *accountInfo) error {
	ok, err := s.object()
	for first := true; ok && err == nil; first = false {
		var key []byte
		if key, ok, err = s.member(first); !ok || err != nil {
			break
		}
		var known bool
		if known, err = s.accountMember(a, accountFields.find(key)); !known && err == nil {
			err = s.skip()
		}
	}
	return err
}

// accountPtr reads an optional AccountInfo.
func (s *scanner) accountPtr(p **accountInfo) error {
	switch s.peek() {
	case '{':
		if *p == nil {
			*p = new(accountInfo)
		}
		return s.account(*p)
	case 'n':
		*p = nil
		return s.literal("null")
	}
	return s.mismatch("object")
}

var labelFields = newFields("all")

// labels reads the labels map; each label's value is read afresh.
func (s *scanner) labels(m *map[string]labelInfo) error {
	ok, err := mapOf(s, m)
	for first := true; ok && err == nil; first = false {
		var key []byte
		if key, ok, err = s.member(first); !ok || err != nil {
			break
		}
		var l labelInfo
		if err = s.label(&l); err == nil {
			(*m)[string(key)] = l
		}
	}
	return err
}

// label reads a LabelInfo.
func (s *scanner) label(l *labelInfo) error {
	ok, err := s.object()
	for first := true; ok && err == nil; first = false {
		var key []byte
		if key, ok, err = s.member(first); !ok || err != nil {
			break
		}
		if labelFields.find(key) == "all" {
			err = list(s, &l.All, (*scanner).approval)
		} else {
			err = s.skip()
		}
	}
	return err
}

var approvalFields = newFields("_account_id", "name", "email", "username", "tags", "value", "date")

// approval reads an ApprovalInfo: an AccountInfo with a value and date.
func (s *scanner) approval(a *approvalInfo) error {
	ok, err := s.object()
	for first := true; ok && err == nil; first = false {
		var key []byte
		if key, ok, err = s.member(first); !ok || err != nil {
			break
		}
		switch name := approvalFields.find(key); name {
		case "value":
			err = s.int(&a.Value)
		case "date":
			err = s.string(&a.Date)
		default:
			var known bool
			if known, err = s.accountMember(&a.accountInfo, name); !known && err == nil {
				err = s.skip()
			}
		}
	}
	return err
}

var messageFields = newFields("id", "author", "real_author", "date", "message", "tag", "_revision_number")

// message reads a ChangeMessageInfo.
func (s *scanner) message(m *messageInfo) error {
	ok, err := s.object()
	for first := true; ok && err == nil; first = false {
		var key []byte
		if key, ok, err = s.member(first); !ok || err != nil {
			break
		}
		switch messageFields.find(key) {
		case "id":
			err = s.string(&m.ID)
		case "author":
			err = s.accountPtr(&m.Author)
		case "real_author":
			err = s.accountPtr(&m.RealAuthor)
		case "date":
			err = s.string(&m.Date)
		case "message":
			err = s.string(&m.Message)
		case "tag":
			err = s.string(&m.Tag)
		case "_revision_number":
			err = s.int(&m.Revision)
		default:
			err = s.skip()
		}
	}
	return err
}

// revisions reads the revisions map; each revision is read afresh.
func (s *scanner) revisions(m *map[string]revisionInfo) error {
	ok, err := mapOf(s, m)
	for first := true; ok && err == nil; first = false {
		var key []byte
		if key, ok, err = s.member(first); !ok || err != nil {
			break
		}
		var r revisionInfo
		if err = s.revision(&r); err == nil {
			(*m)[string(key)] = r
		}
	}
	return err
}

var revisionFields = newFields("kind", "_number", "created", "uploader", "commit")

// revision reads a RevisionInfo.
func (s *scanner) revision(r *revisionInfo) error {
	ok, err := s.object()
	for first := true; ok && err == nil; first = false {
		var key []byte
		if key, ok, err = s.member(first); !ok || err != nil {
			break
		}
		switch revisionFields.find(key) {
		case "kind":
			err = s.string(&r.Kind)
		case "_number":
			err = s.int(&r.Number)
		case "created":
			err = s.string(&r.Created)
		case "uploader":
			err = s.account(&r.Uploader)
		case "commit":
			err = s.commit(&r.Commit)
		default:
			err = s.skip()
		}
	}
	return err
}

var commitFields, authorFields = newFields("author"), newFields("date")

// commit reads an optional CommitInfo, of which only its author's date.
func (s *scanner) commit(p **commitInfo) error {
	switch s.peek() {
	case '{':
		if *p == nil {
			*p = new(commitInfo)
		}
	case 'n':
		*p = nil
		return s.literal("null")
	default:
		return s.mismatch("object")
	}
	ok, err := s.object()
	for first := true; ok && err == nil; first = false {
		var key []byte
		if key, ok, err = s.member(first); !ok || err != nil {
			break
		}
		if commitFields.find(key) == "author" {
			err = s.author(&(*p).Author.Date)
		} else {
			err = s.skip()
		}
	}
	return err
}

// author reads a GitPersonInfo, of which only its date.
func (s *scanner) author(date *string) error {
	ok, err := s.object()
	for first := true; ok && err == nil; first = false {
		var key []byte
		if key, ok, err = s.member(first); !ok || err != nil {
			break
		}
		if authorFields.find(key) == "date" {
			err = s.string(date)
		} else {
			err = s.skip()
		}
	}
	return err
}
