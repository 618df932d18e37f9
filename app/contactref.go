package app

import "qkdchat/identity"

// contactByFingerprint finds the pinned contact whose fingerprint a person
// typed: in any case, with or without spaces, dashes or colons, in full or
// as the 16 digits an older qkdchat showed (accepted when they start
// exactly one contact's fingerprint). The error is a
// *identity.FingerprintError that says why none was found.
func (s *Store) contactByFingerprint(typed string) (Contact, error) {
	if c, ok := s.Contact(typed); ok {
		return c, nil
	}
	if _, err := identity.ParseFingerprint(typed); err != nil {
		return Contact{}, err
	}
	cs, err := s.Contacts()
	if err != nil {
		return Contact{}, err
	}
	known := make([]string, len(cs))
	byFP := make(map[string]Contact, len(cs))
	for i, c := range cs {
		known[i], byFP[c.Fingerprint] = c.Fingerprint, c
	}
	fp, err := identity.Resolve(typed, known)
	if err != nil {
		return Contact{}, err
	}
	return byFP[fp], nil
}
