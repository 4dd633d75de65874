-- The colour each team is drawn in (issue 21): a slot in the charts' palette, handed out in
-- turn the first time a team is drawn, so that a team keeps its colour when teams are added
-- and whoever looks at it (a lead sees it in the colour finance does).
CREATE TABLE team_colours (
    team TEXT    NOT NULL PRIMARY KEY,
    slot BIGINT  NOT NULL UNIQUE
);
